namespace Shears.Worker.Engine;

/// <summary>
/// ONNX Runtime latency of two networks measured side by side: in alternating rounds on the same
/// input, so load from elsewhere on the machine hits both alike. The median of the round medians.
/// </summary>
public static class LatencyComparison
{
    public static (double FirstMs, double SecondMs) Measure(byte[] first, byte[] second, float[] input, long[] shape, int rounds, int repeatsPerRound)
    {
        using var a = new OnnxRuntimeRunner(first);
        using var b = new OnnxRuntimeRunner(second);
        var firstRounds = new double[rounds];
        var secondRounds = new double[rounds];
        for (var round = 0; round < rounds; round++)
        {
            firstRounds[round] = a.MedianLatencyMs(input, shape, repeatsPerRound, warmup: 2);
            secondRounds[round] = b.MedianLatencyMs(input, shape, repeatsPerRound, warmup: 2);
        }
        return (Median(firstRounds), Median(secondRounds));
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
