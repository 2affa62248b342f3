using Shears.Domain.Datasets;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Runtime;

namespace Shears.Bench;

/// <summary>
/// ONNX Runtime latency of the network cut to given widths (one per channel group, in the order the analysis lists the
/// groups), timed side by side with the original: which widths a runtime actually runs faster, whatever their FLOPs.
/// </summary>
internal static class WidthLatencies
{
    private const int Rounds = 9, RepeatsPerRound = 15;

    public static void Print(byte[] original, IReadOnlyList<int[]> widthSets, Dataset test)
    {
        var graph = ShapeFolding.Fold(OnnxGraph.Parse(original));
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var sets = widthSets.Where(w => w.Length == groups.Count).ToList();
        foreach (var wrong in widthSets.Except(sets))
            Console.WriteLine($"Skipped {string.Join(",", wrong)}: the network has {groups.Count} groups ({string.Join(", ", groups.Select(g => $"{g.Name} {g.Channels}"))}).");

        var networks = sets.Select(widths => Surgery.PruneToBytes(graph, groups, groups.ToDictionary(g => g.Id,
            g => (IReadOnlySet<int>)Enumerable.Range(widths[g.Id], g.Channels - widths[g.Id]).ToHashSet()))).ToList();
        var runners = new[] { original }.Concat(networks).Select(n => new OnnxRuntimeRunner(n)).ToList();
        try
        {
            var times = LatencyComparison.InRounds(runners, [FastestRuns.Inputs(graph, test) ?? throw new ArgumentException("--widths times networks with one float input.")], Rounds, RepeatsPerRound, warmup: 3);
            var medians = times.Select(rounds => LatencyComparison.Median([.. rounds.Select(r => r[r.Length / 2])])).ToArray();
            var fastest = times.Select(rounds => rounds.Min(r => r[0])).ToArray();
            var full = CostModel.Measure(graph, groups, null).Flops;
            Console.WriteLine($"| widths | FLOPs | median ms (batch {PruningEngine.LatencyBatch}) | speed-up | fastest ms | speed-up of the fastest |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
            Console.WriteLine($"| original {string.Join("-", groups.Select(g => g.Channels))} | 100% | {medians[0]:F3} | 1.00× | {fastest[0]:F3} | 1.00× |");
            for (var i = 0; i < sets.Count; i++)
            {
                var flops = CostModel.Measure(graph, groups, groups.ToDictionary(g => g.Id, g => sets[i][g.Id])).Flops;
                Console.WriteLine($"| {string.Join("-", sets[i])} | {100.0 * flops / full:F1}% | {medians[i + 1]:F3} | {medians[0] / medians[i + 1]:F2}× | {fastest[i + 1]:F3} | {fastest[0] / fastest[i + 1]:F2}× |");
            }
        }
        finally
        {
            runners.ForEach(r => r.Dispose());
        }
    }
}
