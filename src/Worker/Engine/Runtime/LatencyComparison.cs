using Shears.Worker.Data;
namespace Shears.Worker.Engine.Runtime;

/// <summary>
/// ONNX Runtime latency of networks measured side by side: in rounds that go through every network in turn on the
/// same input, so load from elsewhere on the machine hits them alike.
/// </summary>
public static class LatencyComparison
{
    /// <summary>Two networks: for each, the median of its round medians.</summary>
    public static (double FirstMs, double SecondMs) Measure(byte[] first, byte[] second, IReadOnlyList<HostTensor> inputs, int rounds, int repeatsPerRound)
    {
        using var a = new OnnxRuntimeRunner(first);
        using var b = new OnnxRuntimeRunner(second);
        var times = InRounds([a, b], inputs, rounds, repeatsPerRound, warmup: 2);
        return (MedianOfRoundMedians(times[0]), MedianOfRoundMedians(times[1]));
    }

    /// <summary>Per network, per round, the wall times of its runs in milliseconds, shortest first.</summary>
    public static double[][][] InRounds(IReadOnlyList<OnnxRuntimeRunner> networks, IReadOnlyList<HostTensor> inputs, int rounds, int repeatsPerRound, int warmup)
    {
        var times = networks.Select(_ => new double[rounds][]).ToArray();
        for (var round = 0; round < rounds; round++)
            for (var n = 0; n < networks.Count; n++)
                times[n][round] = networks[n].LatenciesMs(inputs, repeatsPerRound, warmup);
        return times;
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static double MedianOfRoundMedians(double[][] rounds) => Median([.. rounds.Select(r => r[r.Length / 2])]);
}
