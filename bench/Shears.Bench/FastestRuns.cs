using Shears.Domain.Datasets;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Runtime;

namespace Shears.Bench;

/// <summary>
/// ONNX Runtime speed-ups from the fastest runs: on a loaded machine other processes add to every run's time and pull the
/// ratio of medians towards 1 (the same network measured 5.5 and 8.8 ms in one timing at load 13), while the fastest of
/// many runs is the closest to the network having the CPU to itself and stays put between timings.
/// </summary>
internal static class FastestRuns
{
    /// <summary>The first samples of <paramref name="data"/> as one batch of the engine's latency batch size; null unless the network has one float input.</summary>
    public static HostTensor? Inputs(OnnxGraph graph, Dataset data)
    {
        var batch = PruningEngine.LatencyBatch;
        var images = data.Arrays[0];
        if (graph.Inputs.Count != 1 || images.Floats is null || data.Samples < batch)
            return null;
        var scale = images.IsByteData ? 1f / 255 : 1f;
        var input = images.Floats.AsSpan(0, batch * images.SampleSize).ToArray().Select(v => v * scale).ToArray();
        return new HostTensor(graph.Inputs[0].Name, [batch, .. graph.Inputs[0].Shape.Skip(1).Select(d => (long)d)], input);
    }

    /// <summary>Original over pruned time of their fastest runs, timed side by side in alternating rounds; NaN where <see cref="Inputs"/> has none.</summary>
    public static double SpeedUp(byte[] original, byte[] pruned, Dataset data, int threads, int rounds = 20, int repeatsPerRound = 25)
    {
        if (Inputs(OnnxGraph.Parse(original), data) is not { } inputs)
            return double.NaN;
        using var a = new OnnxRuntimeRunner(original, threads);
        using var b = new OnnxRuntimeRunner(pruned, threads);
        var times = LatencyComparison.InRounds([a, b], [inputs], rounds, repeatsPerRound, warmup: 3);
        return times[0].Min(r => r[0]) / times[1].Min(r => r[0]);
    }
}
