using Shears.Domain.Graph;
using Shears.Domain.Onnx;
using Shears.Worker.Data;

namespace Shears.Worker.Engine.Runtime;

/// <summary>
/// What one channel of each group costs in ONNX Runtime latency on this worker, measured rather than counted:
/// the network at its current widths is timed side by side with, per group, the same network with a quarter of
/// that group's channels cut out. On small CPU networks latency follows activation traffic and kernel choice
/// more than FLOPs (measured on the small ResNet: its 28×28 trunk costs ~20× the latency per channel of its
/// 7×7 stage, against ~7× the FLOPs), so a FLOPs-ranked network can come out no faster. Measured again each
/// time the network has lost a further <see cref="RemeasureEvery"/> of its original target cost.
/// </summary>
public sealed class LatencyProfile(OnnxGraph graph, IReadOnlyList<ChannelGroup> groups, IReadOnlyList<HostTensor> inputs, JobProgress progress)
{
    /// <summary>Share of the original target cost removed between two measurements.</summary>
    public const double RemeasureEvery = 0.1;

    /// <summary>Rounds, and runs per round, of the timings: a few seconds for a small network.</summary>
    private const int Rounds = 9, RepeatsPerRound = 5;

    /// <summary>Share of a group's kept channels cut out to time it.</summary>
    private const double ProbeShare = 0.25;

    /// <summary>A channel whose removal measured no faster still counts this share of the original latency, so it ranks last, not never.</summary>
    private const double FloorShare = 1e-4;

    private double[] msPerChannel = [];
    private double measuredAtFraction = double.NaN;

    /// <summary>The original network's latency in milliseconds: the first measurement's, taken before any removal.</summary>
    private double originalMs = double.NaN;

    /// <summary>The change (≤ 0) in latency, as a fraction of the original, of removing one more channel of <paramref name="groupId"/>.</summary>
    public double CostChangeOfRemoving(int groupId) => -Math.Max(msPerChannel[groupId] / originalMs, FloorShare);

    /// <summary>
    /// Measures when nothing was measured yet or the network lost <see cref="RemeasureEvery"/> more of its cost since the last time.
    /// <paramref name="nextWidth"/> gives a group's next allowed width below a width (null: none), so that a probe cuts to a width
    /// the job can reach: a runtime's kernels for a width between channel blocks can be slower than for a wider one.
    /// </summary>
    public void UpdateIfDue(IReadOnlyDictionary<int, int> kept, double targetCostFraction, Func<int, int, int?> nextWidth)
    {
        if (!double.IsNaN(measuredAtFraction) && measuredAtFraction - targetCostFraction < RemeasureEvery)
            return;
        Measure(kept, nextWidth);
        measuredAtFraction = targetCostFraction;
    }

    private void Measure(IReadOnlyDictionary<int, int> kept, Func<int, int, int?> nextWidth)
    {
        var cuts = groups.ToDictionary(g => g.Id, g => ProbeCut(g.Id, kept[g.Id], nextWidth));
        var probed = groups.Where(g => cuts[g.Id] >= 1).ToList();
        using var current = new OnnxRuntimeRunner(Network(kept, null, 0));
        var variants = probed.Select(g => new OnnxRuntimeRunner(Network(kept, g.Id, cuts[g.Id]))).ToList();
        try
        {
            // Each network counts its fastest run: load from elsewhere on the machine only ever adds time, so the
            // minimum is what the network costs.
            var fastest = LatencyComparison.InRounds([current, .. variants], inputs, Rounds, RepeatsPerRound, warmup: 1)
                .Select(rounds => rounds.Min(times => times[0])).ToArray();
            msPerChannel = new double[groups.Count];
            for (var i = 0; i < probed.Count; i++)
                msPerChannel[probed[i].Id] = (fastest[0] - fastest[1 + i]) / cuts[probed[i].Id];
            if (double.IsNaN(originalMs))
                originalMs = fastest[0];
        }
        finally
        {
            variants.ForEach(v => v.Dispose());
        }
        progress.Log($"Latency one channel saves (ms at batch {inputs[0].Shape[0]}): {string.Join(", ", groups.Select(g => $"{g.Name} {msPerChannel[g.Id]:G3}"))}.");
    }

    /// <summary>About <see cref="ProbeShare"/> of the kept channels, in steps of allowed widths (0 when the group cannot shrink).</summary>
    private static int ProbeCut(int groupId, int kept, Func<int, int, int?> nextWidth)
    {
        var goal = kept - Math.Max(1, (int)Math.Round(kept * ProbeShare));
        var width = kept;
        while (width > goal && nextWidth(groupId, width) is { } next)
            width = next;
        return kept - width;
    }

    /// <summary>The network with each group cut to its kept width (the last channels go; values do not matter for timing), and <paramref name="cut"/> more of <paramref name="probed"/>.</summary>
    private byte[] Network(IReadOnlyDictionary<int, int> kept, int? probed, int cut)
    {
        var removed = groups.ToDictionary(g => g.Id, g =>
        {
            var width = kept[g.Id] - (g.Id == probed ? cut : 0);
            return (IReadOnlySet<int>)Enumerable.Range(width, g.Channels - width).ToHashSet();
        });
        return Surgery.PruneToBytes(graph, groups, removed);
    }
}
