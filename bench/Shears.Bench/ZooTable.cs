using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Engine;

namespace Shears.Bench;

/// <summary>What one method did to one zoo network at the 50% FLOPs target, or why it could not.</summary>
internal sealed record ZooJob(PruningMethod Method, double FlopsFraction, double ParamsFraction, double SpeedUp, double Seconds, string? Failure, double FastestSpeedUp = double.NaN);

/// <summary>One zoo network: its inspection (groups by kind, unsupported operators) and a job per method.</summary>
internal sealed record ZooRow(string Network, string Groups, string Problem, IReadOnlyList<ZooJob> Jobs);

/// <summary>
/// The docs table of the zoo (tests/fixtures/zoo, made by tools/make_zoo.py): for each network, the groups the
/// inspection finds (attention heads, MLP units, convolution channels), and per method the FLOPs and parameters at
/// the 50% FLOPs target and the ONNX Runtime speed-up (batch 64, original and shrunk timed in alternating rounds by
/// the engine). The speed-ups need a quiet machine.
/// </summary>
internal static class ZooTable
{
    /// <summary>Half the FLOPs, except where a held recurrent layer is about half or more (as in ZooPruningTests).</summary>
    private static double TargetOf(string network) => network is "audio_gru" or "lstm_text" ? 0.65 : 0.5;
    private static readonly string[] Kinds = ["heads", "units", "channels"];
    private static readonly string Directory = Path.Combine("tests", "fixtures", "zoo");

    public static IReadOnlyList<ZooRow> Run(BenchOptions options)
    {
        using var facts = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "zoo.json")));
        var names = facts.RootElement.GetProperty("networks").EnumerateObject().Select(n => n.Name)
            .Where(n => options.ZooNetworks.Count == 0 || options.ZooNetworks.Contains(n)).ToList();
        return [.. names.Select(name => Row(name, options))];
    }

    private static ZooRow Row(string network, BenchOptions options)
    {
        Console.WriteLine($"{network}:");
        var onnx = File.ReadAllBytes(Path.Combine(Directory, $"{network}.onnx"));
        ModelInspection inspection;
        try
        {
            inspection = ModelInspector.Inspect(onnx);
        }
        catch (InvalidModelException e)
        {
            return new ZooRow(network, "", e.Message, []);
        }
        if (inspection.UnsupportedOps.Count > 0)
            return new ZooRow(network, "", $"unsupported: {string.Join(", ", inspection.UnsupportedOps)}", []);
        var data = ZooData.Read(Path.Combine(Directory, $"{network}.npz"));
        // Token networks have a dynamic sequence axis: the groups are found at the data's length, as a job finds them.
        var groups = GroupKinds(SampleDimensions.Pin(OnnxGraph.Parse(onnx), name => data.Arrays.FirstOrDefault(a => a.Name == name)?.SampleShape));
        Console.WriteLine($"  groups: {groups}");
        var channels = inspection.Groups.Sum(g => g.Channels);
        return new ZooRow(network, groups, "", [.. options.Methods.Select(method => Job(network, onnx, data, method, channels, options))]);
    }

    private static ZooJob Job(string network, byte[] onnx, Domain.Datasets.Dataset data, PruningMethod method, int channels, BenchOptions options)
    {
        var clock = Stopwatch.StartNew();
        // 64 samples: small batches, a quarter held out; Fisher removes about 1% of the channels a round.
        var jobOptions = PruningSweep.JobOptions(method, options) with
        {
            BatchSize = 16,
            ValidationFraction = 0.25,
            ChannelsPerPrune = Math.Max(1, channels / 100),
        };
        try
        {
            var outcome = new PruningEngine(new EngineSettings(options.Threads, LatencyRepeats: 10, LatencyRounds: 6))
                .Run(new PruneRequest(onnx, data, method, new PruningTarget(TargetOf(network), null), jobOptions), new SilentProgress(), CancellationToken.None);
            var job = new ZooJob(method, (double)outcome.After.Flops / outcome.Before.Flops, (double)outcome.After.Params / outcome.Before.Params,
                outcome.Before.LatencyMs / outcome.After.LatencyMs, clock.Elapsed.TotalSeconds, null, FastestRuns.SpeedUp(onnx, outcome.PrunedOnnx, data, options.Threads, rounds: 6, repeatsPerRound: 10));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {method.ToWire()}: FLOPs {job.FlopsFraction:P1}, params {job.ParamsFraction:P1}, {job.SpeedUp:F2}× ({outcome.Before.LatencyMs:F2} → {outcome.After.LatencyMs:F2} ms; fastest runs {job.FastestSpeedUp:F2}×; {job.Seconds:F0} s)"));
            return job;
        }
        catch (PruningFailedException e)
        {
            Console.WriteLine($"  {method.ToWire()}: failed: {e.Message}");
            return new ZooJob(method, double.NaN, double.NaN, double.NaN, clock.Elapsed.TotalSeconds, e.Message);
        }
    }

    /// <summary>
    /// Groups by what their channels are: convolution channels (a producer weight of rank 3 or more), attention heads
    /// (a matrix producer whose channel owns a block of rows: head_dim of them), or hidden units of a linear layer.
    /// </summary>
    private static string GroupKinds(OnnxGraph graph)
    {
        var kinds = ChannelGroupAnalysis.Find(graph).Groups.Select(group =>
        {
            var kind = ChannelGroupKinds.Of(graph, group) switch
            {
                ChannelGroupKind.Convolution => "channels",
                ChannelGroupKind.Heads => "heads",
                _ => "units",
            };
            return (Kind: kind, group.Channels);
        }).ToList();
        return string.Join(", ", Kinds
            .Where(kind => kinds.Any(k => k.Kind == kind))
            .Select(kind => string.Create(CultureInfo.InvariantCulture,
                $"{kind} {kinds.Where(k => k.Kind == kind).Sum(k => k.Channels)} in {kinds.Count(k => k.Kind == kind)} groups")));
    }

    public static string Markdown(IReadOnlyList<ZooRow> rows, string[] args)
    {
        var md = new StringBuilder();
        var ic = CultureInfo.InvariantCulture;
        md.AppendLine("# The zoo pruned to half its FLOPs");
        md.AppendLine();
        md.AppendLine("Measured by `bench/Shears.Bench` in one run (rerun to refresh; the speed-ups need a quiet machine):");
        md.AppendLine();
        md.AppendLine("```");
        md.AppendLine($"dotnet run -c Release --project bench/Shears.Bench -- {string.Join(' ', args)}".TrimEnd());
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine("Networks from `tests/fixtures/zoo` (docs/zoo.md), weights trained briefly (docs/zoo.md), their 64-sample `.npz`; one job per method at the 50% FLOPs target (65% for audio_gru and lstm_text, whose held recurrent layer is about half) " +
            "(batch 16, a quarter held out, Fisher removing ~1% of the channels a round). Speed-up: ONNX Runtime latency of the original over the shrunk network, " +
            "batch 64, one thread, timed by the engine in 6 alternating rounds of 10 runs (median), and of the fastest runs of a second timing of 6 rounds of 10 " +
            "(single-input networks; on a loaded machine the medians' ratio is pulled towards 1, the fastest runs' much less).");
        md.AppendLine();
        md.AppendLine("| network | groups found | method | FLOPs | params | ORT speed-up | fastest runs | job s | result |");
        md.AppendLine("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var row in rows)
        {
            if (row.Jobs.Count == 0)
                md.AppendLine(ic, $"| {row.Network} | {row.Groups} | | | | | | | {row.Problem} |");
            foreach (var job in row.Jobs)
                md.AppendLine(job.Failure is null
                    ? string.Create(ic, $"| {row.Network} | {row.Groups} | {job.Method.ToWire()} | {job.FlopsFraction:P1} | {job.ParamsFraction:P1} | {job.SpeedUp:F2}× | {job.FastestSpeedUp:F2}× | {job.Seconds:F0} | ok |")
                    : string.Create(ic, $"| {row.Network} | {row.Groups} | {job.Method.ToWire()} | | | | | {job.Seconds:F0} | failed: {job.Failure.Replace('|', '/')} |"));
        }
        return md.ToString();
    }
}
