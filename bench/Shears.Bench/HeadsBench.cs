using System.CommandLine;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Shears.Domain.Datasets;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine.Runtime;

namespace Shears.Bench;

/// <summary>
/// <c>bench heads</c>: issue 15's head-pruning claim. The zoo's ViT and BERT-style encoder with every other attention head
/// removed (half of each block's heads: surgery on the head groups only, nothing trained) against the originals in ONNX
/// Runtime, all four timed side by side in alternating rounds, batch 64, the text network at the longest sequence up to
/// <c>--sequence</c> it runs (its position table bounds it). Reports each network's head counts, FLOPs and median latency,
/// and the largest relative difference between the pruned network's outputs and the masked original's.
/// </summary>
internal static class HeadsBench
{
    private static readonly Option<int> BatchOption = new("--batch") { DefaultValueFactory = _ => 64, Description = "Examples per run." };
    private static readonly Option<int> SequenceOption = new("--sequence") { DefaultValueFactory = _ => 128, Description = "Token sequence length for the text network (halved until it runs)." };
    private static readonly Option<int> RoundsOption = new("--rounds") { DefaultValueFactory = _ => 9, Description = "Alternating rounds." };
    private static readonly Option<int> RepeatsOption = new("--repeats") { DefaultValueFactory = _ => 15, Description = "Timed runs per network and round." };
    private static readonly Option<int> ThreadsOption = new("--threads") { DefaultValueFactory = _ => 1, Description = "ONNX Runtime intra-op threads." };
    private static readonly Option<string?> OutOption = new("--out") { Description = "Markdown report to write." };

    private static readonly string[] Networks = ["vit", "bert"];

    private sealed record Pair(string Network, string Inputs, IReadOnlyList<int> HeadsBefore, IReadOnlyList<int> HeadsAfter, long FlopsBefore, long FlopsAfter,
        double WorstRelativeDifference, byte[] Original, byte[] StaticShapes, byte[] Pruned, IReadOnlyList<HostTensor> Feed)
    {
        public IEnumerable<byte[]> Variants => [Original, StaticShapes, Pruned];
    }

    public static int Run(string[] args)
    {
        var root = new RootCommand("Shears head-pruning benchmark (issue 15): zoo vit and bert with half their heads removed vs the originals in ONNX Runtime.")
        {
            BatchOption, SequenceOption, RoundsOption, RepeatsOption, ThreadsOption, OutOption,
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 || parsed.Action is not null)
        {
            parsed.Invoke();
            return 2;
        }
        var (batch, threads) = (parsed.GetValue(BatchOption), parsed.GetValue(ThreadsOption));
        var loadBefore = MachineFacts.LoadAverage();
        var pairs = Networks.Select(n => HalfTheHeads(n, batch, parsed.GetValue(SequenceOption), threads)).ToList();
        foreach (var pair in pairs)
            Console.WriteLine($"{pair.Network}: heads {string.Join("+", pair.HeadsBefore)} → {string.Join("+", pair.HeadsAfter)}, FLOPs {pair.FlopsBefore:N0} → {pair.FlopsAfter:N0}, pruned vs masked within {pair.WorstRelativeDifference:G2}");

        var runners = pairs.SelectMany(p => p.Variants).Select(n => new OnnxRuntimeRunner(n, threads)).ToList();
        List<double>[] times;
        try
        {
            var rounds = parsed.GetValue(RoundsOption);
            var repeats = parsed.GetValue(RepeatsOption);
            times = [.. Enumerable.Range(0, runners.Count).Select(_ => new List<double>())];
            for (var round = 0; round < rounds; round++)
                for (var r = 0; r < runners.Count; r++)
                {
                    var latencies = runners[r].LatenciesMs(pairs[r / 3].Feed, repeats, warmup: 2);
                    times[r].Add(latencies[latencies.Length / 2]);
                }
        }
        finally
        {
            runners.ForEach(r => r.Dispose());
        }
        var report = Markdown(args, pairs, times, batch, threads, parsed.GetValue(RoundsOption), parsed.GetValue(RepeatsOption), loadBefore + " → " + MachineFacts.LoadAverage());
        Console.WriteLine(report);
        if (parsed.GetValue(OutOption) is { } path)
            File.WriteAllText(path, report);
        return 0;
    }

    /// <summary>The network, its inputs at the benchmark's size, and the network with every other head of each head group removed.</summary>
    private static Pair HalfTheHeads(string network, int batch, int sequence, int threads)
    {
        var bytes = File.ReadAllBytes($"tests/fixtures/zoo/{network}.onnx");
        var data = ZooData.Read($"tests/fixtures/zoo/{network}.npz");
        var declared = OnnxGraph.Parse(bytes);
        var tokens = data.Arrays.All(a => a.Integers is not null);
        for (var length = tokens ? sequence : 0; ; length /= 2)
        {
            var feed = Feed(data, batch, length);
            try
            {
                using var probe = new OnnxRuntimeRunner(bytes, threads);
                probe.Run(feed);
            }
            catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException e) when (tokens && length > 1)
            {
                Console.WriteLine($"{network} does not run at sequence {length} ({e.Message.Split('\n')[0]}); trying {length / 2}");
                continue;
            }
            var graph = SampleDimensions.Pin(declared, name => feed.FirstOrDefault(f => f.Name == name) is { } f ? [.. f.Shape.Skip(1).Select(d => (int)d)] : null);
            var groups = ChannelGroupAnalysis.Find(graph).Groups;
            var heads = groups.Where(g => ChannelGroupKinds.Of(graph, g) == ChannelGroupKind.Heads).ToList();
            var removed = heads.ToDictionary(g => g.Id, g => (IReadOnlySet<int>)Enumerable.Range(0, g.Channels).Where(h => h % 2 == 1).ToHashSet());
            var pruned = Surgery.Prune(graph, groups, removed);
            // Surgery writes static head Reshape targets, which drops the export's shape arithmetic: the control keeps every head.
            var staticShapes = Surgery.Prune(graph, groups, new Dictionary<int, IReadOnlySet<int>>());
            SampleDimensions.Restore(staticShapes, declared.Model);
            var masked = Surgery.Mask(graph, groups, removed);
            SampleDimensions.Restore(pruned, declared.Model);
            SampleDimensions.Restore(masked, declared.Model);
            var prunedBytes = pruned.ToByteArray();
            var shrunk = SampleDimensions.Pin(OnnxGraph.Parse(prunedBytes), name => feed.FirstOrDefault(f => f.Name == name) is { } f ? [.. f.Shape.Skip(1).Select(d => (int)d)] : null);
            var headsAfter = ChannelGroupAnalysis.Find(shrunk).Groups.Where(g => ChannelGroupKinds.Of(shrunk, g) == ChannelGroupKind.Heads).Select(g => g.Channels).ToList();
            var inputs = string.Join(", ", feed.Select(f => $"{f.Name} [{string.Join("×", f.Shape)}]"));
            return new Pair(network, inputs, [.. heads.Select(g => g.Channels)], headsAfter, CostModel.Measure(graph, [], null).Flops, CostModel.Measure(shrunk, [], null).Flops,
                WorstRelativeDifference(masked.ToByteArray(), prunedBytes, feed, threads), bytes, staticShapes.ToByteArray(), prunedBytes, feed);
        }
    }

    /// <summary>Batch rows of the .npz (repeated when it has fewer); token arrays repeated along the sequence to <paramref name="length"/>.</summary>
    private static List<HostTensor> Feed(Dataset data, int batch, int length)
    {
        var sized = data.Arrays.Any(a => a.Integers is not null) ? ZooData.WithSequence(data, length) : data;
        return [.. sized.Arrays.Select(a => a.Integers is { } ids
            ? new HostTensor(a.Name, [batch, .. a.SampleShape.Select(d => (long)d)], Rows(ids, a.SampleSize, data.Samples, batch))
            : new HostTensor(a.Name, [batch, .. a.SampleShape.Select(d => (long)d)], Rows(a.Floats!, a.SampleSize, data.Samples, batch)))];
    }

    private static T[] Rows<T>(T[] values, int size, int samples, int batch) =>
        [.. Enumerable.Range(0, batch).SelectMany(row => values.AsSpan((row % samples) * size, size).ToArray())];

    private static double WorstRelativeDifference(byte[] masked, byte[] pruned, IReadOnlyList<HostTensor> feed, int threads)
    {
        using var a = new OnnxRuntimeRunner(masked, threads);
        using var b = new OnnxRuntimeRunner(pruned, threads);
        var (expected, actual) = (a.Run(feed).SelectMany(o => o).ToArray(), b.Run(feed).SelectMany(o => o).ToArray());
        var floor = 1e-3 * expected.Max(Math.Abs);
        return expected.Zip(actual, (e, p) => Math.Abs(e - p) / Math.Max(Math.Abs(e), floor)).Max();
    }

    private static string Markdown(string[] args, IReadOnlyList<Pair> pairs, List<double>[] times, int batch, int threads, int rounds, int repeats, string load)
    {
        var medians = times.Select(t => LatencyComparison.Median(t)).ToArray();
        var ic = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(ic, $"`{$"dotnet run -c Release --project bench/Shears.Bench -- heads {string.Join(' ', args)}".TrimEnd()}`");
        md.AppendLine();
        md.AppendLine(ic, $"Batch {batch}, ONNX Runtime {threads} intra-op thread(s), {rounds} rounds through all six networks in turn × {repeats} timed runs each (median of round medians); load average {load}.");
        md.AppendLine("Three variants each: the original export; surgery with no head removed (static head Reshape targets instead of the export's Shape arithmetic: a control, same heads); half the heads removed.");
        md.AppendLine();
        md.AppendLine("| network | inputs | heads per block | FLOPs per example | ORT median ms: original / control / half the heads | speed-up vs original | vs control | pruned vs masked (max relative difference) |");
        md.AppendLine("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |");
        for (var i = 0; i < pairs.Count; i++)
        {
            var p = pairs[i];
            var (original, control, half) = (medians[3 * i], medians[(3 * i) + 1], medians[(3 * i) + 2]);
            md.AppendLine(ic, $"| {p.Network} | {p.Inputs} | {string.Join("+", p.HeadsBefore)} → {string.Join("+", p.HeadsAfter)} | {p.FlopsBefore:N0} → {p.FlopsAfter:N0} ({(double)p.FlopsAfter / p.FlopsBefore:P0}) | {original:F2} / {control:F2} / {half:F2} | {original / half:F2}× | {control / half:F2}× | {p.WorstRelativeDifference:G2} |");
        }
        md.AppendLine();
        for (var i = 0; i < pairs.Count; i++)
            md.AppendLine(ic, $"Per round, {pairs[i].Network} (ms, original / control / half the heads): {string.Join(" · ", Enumerable.Range(0, times[3 * i].Count).Select(round => string.Create(ic, $"{times[3 * i][round]:F2} / {times[(3 * i) + 1][round]:F2} / {times[(3 * i) + 2][round]:F2}")))}.");
        md.AppendLine();
        md.AppendLine(ic, $"Machine: {MachineFacts.Cpu()}, {Environment.ProcessorCount} logical cores.");
        return md.ToString();
    }
}
