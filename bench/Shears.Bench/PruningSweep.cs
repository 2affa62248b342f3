using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Shears.Domain.Datasets;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Runtime;

namespace Shears.Bench;

/// <summary>One job's result: kept widths, cost, test accuracy and ONNX Runtime latency next to the original's.</summary>
internal sealed record SweepPoint(PruningMethod Method, double Target, double FlopsFraction, double ParamsFraction, double TestAccuracy, double OriginalLatencyMs,
    double PrunedLatencyMs, IReadOnlyList<LayerWidth> Layers, double DurationSeconds, double PeakRssMb);

/// <summary>
/// Pruning of the network by each method to each FLOPs target through the real <see cref="PruningEngine"/>,
/// then accuracy of the shrunk ONNX on the 10,000 test images in ONNX Runtime, and latency of the
/// original and the shrunk network as the engine measured them side by side (batch 64, one thread, median).
/// </summary>
internal static class PruningSweep
{
    public static double TestAccuracy(byte[] onnx, Dataset test)
    {
        using var runtime = new OnnxRuntimeRunner(onnx);
        var sampleShape = OnnxGraph.Parse(onnx).Inputs[0].Shape.Skip(1).ToArray();
        var sampleSize = test.Arrays[0].SampleSize;
        var correct = 0;
        const int batch = 1000;
        for (var start = 0; start < test.Samples; start += batch)
        {
            var count = Math.Min(batch, test.Samples - start);
            var input = new float[count * sampleSize];
            for (var i = 0; i < input.Length; i++)
                input[i] = test.Arrays[0].Floats![start * sampleSize + i] / 255f;
            var logits = runtime.Run(input, [count, .. sampleShape]);
            var classes = logits.Length / count;
            for (var n = 0; n < count; n++)
            {
                var row = logits.AsSpan(n * classes, classes);
                if (row.IndexOf(MaxOf(row)) == test.Labels![start + n])
                    correct++;
            }
        }
        return (double)correct / test.Samples;
    }

    /// <summary>
    /// Runs one job in a child process (this program with <c>--job</c>), so its peak resident
    /// memory is that of a worker running that job and nothing else.
    /// </summary>
    public static SweepPoint InChildProcess(SweepJob job, string[] args) => ChildProcess.Run<SweepPoint>([.. args, "--job", job.ToString()], job.ToString());

    public static SweepPoint Run(byte[] original, SweepJob job, BenchOptions options, Dataset train, Dataset test)
    {
        var started = Stopwatch.StartNew();
        var request = new PruneRequest(original, train, job.Method, new PruningTarget(job.Target, null), JobOptions(job.Method, options));
        // The engine measures the original and the shrunk network's latency side by side (alternating rounds).
        var latency = new EngineSettings(options.Threads, LatencyRepeats: 25, LatencyRounds: 20);
        var outcome = new PruningEngine(latency).Run(request, new SilentProgress(verbose: true), CancellationToken.None);
        var duration = started.Elapsed;
        var (originalMs, prunedMs) = (outcome.Before.LatencyMs, outcome.After.LatencyMs);
        return new SweepPoint(job.Method, job.Target, (double)outcome.After.Flops / outcome.Before.Flops, (double)outcome.After.Params / outcome.Before.Params,
            TestAccuracy(outcome.PrunedOnnx, test), originalMs, prunedMs, outcome.Layers, duration.TotalSeconds, MachineFacts.PeakRssMb());
    }

    /// <summary>The flags as job options, overlaid with <c>--options</c>, read by the API's own parser.</summary>
    public static PruningOptions JobOptions(PruningMethod method, BenchOptions options)
    {
        var json = new JsonObject { ["epochs"] = options.FineTuneEpochs };
        if (method == PruningMethod.Fisher)
            (json["stepsPerPrune"], json["cost"]) = (options.StepsPerPrune, options.Cost);
        if (options.JobOptions is { } extra)
            foreach (var (name, value) in JsonNode.Parse(extra)!.AsObject())
                json[name] = value?.DeepClone();
        var (parsed, errors) = PruningOptionsParser.Parse(method, JsonSerializer.SerializeToElement(json));
        return errors.Count == 0 ? parsed : throw new ArgumentException(string.Join(" ", errors.Select(e => $"{e.Name}: {e.Message}")));
    }

    private static float MaxOf(ReadOnlySpan<float> values)
    {
        var max = float.NegativeInfinity;
        foreach (var v in values)
            max = Math.Max(max, v);
        return max;
    }
}
