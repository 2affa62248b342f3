using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Shears.Domain.Datasets;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Training;
using Shears.Worker.Jobs;

namespace Shears.Bench;

/// <summary>
/// One job of issue 17's default-options list: a fixture network pruned by a method to a target with no options at all,
/// and what the issue asks of it. <paramref name="TrainSamples"/> and <paramref name="TestSamples"/> cap the Fashion-MNIST
/// splits (null: all), for the 3×64×64 networks whose resized splits would not fit in memory.
/// </summary>
internal sealed record DefaultsCase(string Network, PruningMethod Method, double? Flops, double? Params, int? TrainSamples, int? TestSamples, string Asked)
{
    public string Name => $"{Network} {Method.ToWire()} {(Flops is { } f ? $"{f:P0} FLOPs" : $"{Params:P0} params")}";
}

/// <summary>
/// What one default-options job reached: test accuracy before and after, cost, ORT speed-up (the job's own, a median, and
/// that of the fastest runs of a second side-by-side timing: on a loaded machine other processes add to every run's time
/// and pull medians' ratios towards 1, while the fastest run is the closest to the CPU to itself), wall time, the
/// machine's load average (1 min) when the job started and ended, narrowest layer and every group's width.
/// </summary>
internal sealed record DefaultsRow(string Case, string Asked, int TrainSamples, int TestSamples, double OriginalAccuracy, double Accuracy, double FlopsFraction,
    double ParamsFraction, double SpeedUp, double WallSeconds, string Load, double NarrowestShare, string NarrowestLayer, string FineTuning, IReadOnlyList<string> Warnings,
    double FastestSpeedUp = double.NaN, string Widths = "");

/// <summary>
/// <c>--defaults</c>: issue 17's list of jobs run with default options only (no epochs, steps or learning rate), one after
/// another, each in a child process so its wall time is its own; writes docs/defaults-bench.md. Needs a quiet machine.
/// </summary>
internal static class DefaultsBench
{
    private const int LargeInputTrainSamples = 6000;
    private const int LargeInputTestSamples = 1000;

    public static IReadOnlyList<DefaultsCase> Cases(int? trainSamples, int? testSamples)
    {
        var cases = new List<DefaultsCase>
        {
            new("lenet5", PruningMethod.Fisher, 0.25, null, null, null, "within 1.0 pt"),
            new("lenet5", PruningMethod.L0, 0.25, null, null, null, "within 1.0 pt"),
            new("mlp", PruningMethod.L0, null, 0.25, null, null, "within 1.0 pt"),
            new("small_resnet", PruningMethod.Fisher, 0.5, null, null, null, "within 1.5 pt, ≥ 1.5× faster"),
            new("small_resnet", PruningMethod.L0, 0.5, null, null, null, "within 1.5 pt"),
            new("small_resnet", PruningMethod.Magnitude, 0.5, null, null, null, "within 1.5 pt"),
        };
        foreach (var network in new[] { "mobilenet_v2", "resnet18" })
            foreach (var method in new[] { PruningMethod.Fisher, PruningMethod.L0, PruningMethod.Magnitude })
                cases.Add(new(network, method, 0.5, null, LargeInputTrainSamples, LargeInputTestSamples, "no layer below a quarter of its width"));
        return [.. cases.Select(c => c with { TrainSamples = Smaller(c.TrainSamples, trainSamples), TestSamples = Smaller(c.TestSamples, testSamples) })];
    }

    /// <summary>Runs every case (or those whose name contains one of <paramref name="only"/>) in turn, each in a child process.</summary>
    public static IReadOnlyList<DefaultsRow> Run(BenchOptions options, string[] args)
    {
        var cases = Cases(options.DefaultsTrainSamples, options.DefaultsTestSamples);
        var rows = new List<DefaultsRow>();
        for (var index = 0; index < cases.Count; index++)
        {
            if (options.DefaultsJobs.Count > 0 && !options.DefaultsJobs.Any(n => cases[index].Name.Contains(n, StringComparison.Ordinal)))
                continue;
            Console.WriteLine($"[{cases[index].Name}] starting");
            rows.Add(ChildProcess.Run<DefaultsRow>([.. args, "--defaults-case", index.ToString(CultureInfo.InvariantCulture)], cases[index].Name));
        }
        return rows;
    }

    /// <summary>Child mode: one case, in this process.</summary>
    public static DefaultsRow RunCase(BenchOptions options, int index)
    {
        var job = Cases(options.DefaultsTrainSamples, options.DefaultsTestSamples)[index];
        var original = File.ReadAllBytes(Path.Combine("tests/fixtures", $"{job.Network}.onnx"));
        var sampleShape = OnnxGraph.Parse(original).Inputs[0].Shape.Skip(1).Select(d => (int)d).ToArray();
        var train = GrayscaleResizing.To(Take(FashionMnist.Train(), job.TrainSamples), sampleShape);
        var test = GrayscaleResizing.To(Take(FashionMnist.Test(), job.TestSamples), sampleShape);

        var loadBefore = MachineFacts.LoadAverage();
        var started = Stopwatch.StartNew();
        var request = new PruneRequest(original, train, job.Method, new PruningTarget(job.Flops, job.Params), JobOptions(job.Method, options.JobOptions));
        var outcome = new PruningEngine(new EngineSettings(options.Threads, LatencyRepeats: 25, LatencyRounds: 20))
            .Run(request, new SilentProgress(verbose: true), CancellationToken.None);
        var wall = started.Elapsed.TotalSeconds;

        var narrowest = outcome.Layers.MinBy(l => (double)l.ChannelsAfter / l.ChannelsBefore)!;
        var fastest = FastestRuns.SpeedUp(original, outcome.PrunedOnnx, test, options.Threads);
        var fineTuning = outcome.FineTuning is { } run ? $"{run.Steps} steps ({run.Epochs} epochs), {run.Stopped}" : "";
        return new DefaultsRow(job.Name, job.Asked, train.Samples, test.Samples, PruningSweep.TestAccuracy(original, test), PruningSweep.TestAccuracy(outcome.PrunedOnnx, test),
            (double)outcome.After.Flops / outcome.Before.Flops, (double)outcome.After.Params / outcome.Before.Params, outcome.Before.LatencyMs / outcome.After.LatencyMs,
            wall, $"{loadBefore} → {MachineFacts.LoadAverage()}", (double)narrowest.ChannelsAfter / narrowest.ChannelsBefore, $"{narrowest.Name} {narrowest.ChannelsBefore} → {narrowest.ChannelsAfter}", fineTuning,
            JobWarnings.For(outcome.Before, outcome.After, train.NumClasses), fastest,
            $"{string.Join("-", outcome.Layers.Select(l => l.ChannelsAfter))} of {string.Join("-", outcome.Layers.Select(l => l.ChannelsBefore))}");
    }

    public static string Markdown(IReadOnlyList<DefaultsRow> rows, string? jobOptions, string[] args)
    {
        var ic = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("# Default options (issue 17)");
        md.AppendLine();
        md.AppendLine("Measured by `bench/Shears.Bench` in one run; the jobs ran one after another, each in its own process (rerun on a quiet machine to refresh):");
        md.AppendLine();
        md.AppendLine("```");
        md.AppendLine($"dotnet run -c Release --project bench/Shears.Bench -- {string.Join(' ', args)}".TrimEnd());
        md.AppendLine("```");
        md.AppendLine();
        var given = jobOptions is null ? "`new PruningOptions()` (no epochs, steps or learning rate)" : $"the default options overlaid with `{jobOptions}` (a variant measured against the defaults, not the defaults)";
        md.AppendLine($"Every job: `PruningEngine.Run` with {given}, Fashion-MNIST from Debian's dataset-fashion-mnist " +
            "(1×28×28 networks: all 60,000 training and 10,000 test images unless the row says fewer; the untrained 3×64×64 fixtures mobilenet_v2 and resnet18 read " +
            $"the images upscaled and repeated on 3 channels, {LargeInputTrainSamples:N0} training and {LargeInputTestSamples:N0} test images, so their accuracy is that of " +
            "a network trained only by the job's fine-tuning). Accuracy: the shrunk ONNX in ONNX Runtime on the test images. Speed-up: original over shrunk ONNX Runtime " +
            "latency, batch 64, timed by the engine in alternating rounds (median). Wall: the whole job, ONNX in to ONNX out; load: the 1-minute load average " +
            $"of the machine ({Environment.ProcessorCount} cores) when the job started and when it ended.");
        md.AppendLine();
        md.AppendLine("| job | asked | train / test | accuracy before → after (Δ pt) | FLOPs | params | ORT speed-up (median) | ORT speed-up (fastest runs) | widths | wall | load | narrowest layer | fine-tuning | warnings |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in rows)
            md.AppendLine(ic, $"| {r.Case} | {r.Asked} | {r.TrainSamples:N0} / {r.TestSamples:N0} | {r.OriginalAccuracy:P2} → {r.Accuracy:P2} ({(r.Accuracy - r.OriginalAccuracy) * 100:+0.00;-0.00}) | " +
                $"{r.FlopsFraction:P1} | {r.ParamsFraction:P1} | {r.SpeedUp:0.00}× | {r.FastestSpeedUp:0.00}× | {r.Widths} | {r.WallSeconds:0} s | {r.Load} | {r.NarrowestLayer} ({r.NarrowestShare:P0}) | {r.FineTuning} | {string.Join(" ", r.Warnings)} |");
        return md.ToString();
    }

    /// <summary>
    /// The default options, or with <c>--options</c> those options over the defaults (to measure a variant against the
    /// defaults; the report then says which), read by the API's own parser.
    /// </summary>
    internal static PruningOptions JobOptions(PruningMethod method, string? extra)
    {
        if (extra is null)
            return new PruningOptions();
        var (parsed, errors) = PruningOptionsParser.Parse(method, JsonSerializer.SerializeToElement(JsonNode.Parse(extra)));
        return errors.Count == 0 ? parsed : throw new ArgumentException(string.Join(" ", errors.Select(e => $"{e.Name}: {e.Message}")));
    }

    /// <summary>The first <paramref name="count"/> samples (null: all).</summary>
    internal static Dataset Take(Dataset data, int? count) => count is { } n && n < data.Samples ? Rows(data, 0, n) : data;

    /// <summary><paramref name="count"/> samples from <paramref name="start"/> on.</summary>
    internal static Dataset Rows(Dataset data, int start, int count)
    {
        var images = data.Arrays[0];
        return Dataset.OfOneArray(images.Floats![(start * images.SampleSize)..((start + count) * images.SampleSize)], images.SampleShape,
            data.Labels?[start..(start + count)], data.NumClasses, images.IsByteData);
    }

    private static int? Smaller(int? a, int? b) => a is { } x && b is { } y ? Math.Min(x, y) : a ?? b;
}
