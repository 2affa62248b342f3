using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Shears.Domain.Datasets;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Training;
using static TorchSharp.torch;

namespace Shears.Bench;

/// <summary>
/// <c>bench distill</c>: issue 14's claims on LeNet-5. Fisher to 25% of the FLOPs with the same steps and seed three
/// times: <c>objective: distill</c> on the training images uploaded without labels, <c>labels</c> and <c>both</c> on them
/// with labels; test accuracy of each shrunk ONNX in ONNX Runtime on the 10,000 test images. Then the cost of a training
/// step, rounds alternating so that machine load hits all alike: plain cross-entropy, distillation with the teacher's
/// outputs recorded per row (what a job on data held in memory does), and distillation with the teacher run on every
/// batch (what augmented image batches need). <c>--steps-only</c> skips the jobs; <c>--zoo vit</c> times the same three
/// steps on zoo networks with labels in their .npz too (batch: all its samples).
/// </summary>
internal static class DistillBench
{
    private static readonly Option<int> StepsOption = new("--steps") { DefaultValueFactory = _ => 600, Description = "Fine-tuning steps of every job." };
    private static readonly Option<int> StepsPerPruneOption = new("--steps-per-prune") { DefaultValueFactory = _ => 10, Description = "Fisher: training steps per removal." };
    private static readonly Option<int> RoundsOption = new("--rounds") { DefaultValueFactory = _ => 5, Description = "Alternating rounds of the step timings." };
    private static readonly Option<int> TimedStepsOption = new("--timed-steps") { DefaultValueFactory = _ => 30, Description = "Timed steps per round and kind." };
    private static readonly Option<int> ThreadsOption = new("--threads") { DefaultValueFactory = _ => 1, Description = "libtorch intra-op threads." };
    private static readonly Option<int?> TrainSamplesOption = new("--train-samples") { Description = "At most this many training images (a smoke run)." };
    private static readonly Option<int?> TestSamplesOption = new("--test-samples") { Description = "At most this many test images (a smoke run)." };
    private static readonly Option<bool> StepsOnlyOption = new("--steps-only") { Description = "Only the step timings, no pruning jobs." };
    private static readonly Option<string[]> ZooOption = new("--zoo")
    {
        DefaultValueFactory = _ => [],
        CustomParser = result => result.Tokens.Single().Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        Description = "Comma-separated zoo networks with labels in their .npz (e.g. vit) whose steps are timed too, batch = the .npz's samples.",
    };
    private static readonly Option<string?> OutOption = new("--out") { Description = "Markdown report to write, e.g. docs/distill-bench.md." };

    private sealed record NetworkSteps(string Network, int Batch, (StepCost Plain, StepCost Recorded, StepCost TeacherRun) Costs);

    private sealed record JobRow(string Objective, string Data, double FlopsFraction, double TestAccuracy, int PruningSteps, int FineTuningSteps, double WallSeconds);

    public static int Run(string[] args)
    {
        var root = new RootCommand("Shears distillation benchmark (issue 14) on LeNet-5 and Fashion-MNIST.")
        {
            StepsOption, StepsPerPruneOption, RoundsOption, TimedStepsOption, ThreadsOption, TrainSamplesOption, TestSamplesOption, StepsOnlyOption, ZooOption, OutOption,
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 || parsed.Action is not null)
        {
            parsed.Invoke();
            return 2;
        }
        set_num_threads(parsed.GetValue(ThreadsOption));
        var load = Load();
        var original = File.ReadAllBytes("tests/fixtures/lenet5.onnx");
        var train = DefaultsBench.Take(FashionMnist.Train(), parsed.GetValue(TrainSamplesOption));
        var test = DefaultsBench.Take(FashionMnist.Test(), parsed.GetValue(TestSamplesOption));
        var unlabeled = new Dataset { Samples = train.Samples, Arrays = train.Arrays };
        var originalAccuracy = PruningSweep.TestAccuracy(original, test);
        Console.WriteLine($"LeNet-5 test accuracy {originalAccuracy:P2} on {test.Samples:N0} images; load {load}");

        var options = new PruningOptions { Steps = parsed.GetValue(StepsOption), StepsPerPrune = parsed.GetValue(StepsPerPruneOption), BatchSize = 100 };
        List<JobRow> jobs = parsed.GetValue(StepsOnlyOption) ? [] :
        [
            Job(original, unlabeled, "no labels", options with { Objective = Objective.Distill }, test, parsed.GetValue(ThreadsOption)),
            Job(original, train, "labels", options with { Objective = Objective.Labels }, test, parsed.GetValue(ThreadsOption)),
            Job(original, train, "labels", options with { Objective = Objective.Both }, test, parsed.GetValue(ThreadsOption)),
        ];
        var (rounds, timedSteps) = (parsed.GetValue(RoundsOption), parsed.GetValue(TimedStepsOption));
        List<NetworkSteps> steps =
        [
            new("LeNet-5", 100, StepCosts(original, train, 100, rounds, timedSteps)),
            .. parsed.GetValue(ZooOption)!.Select(network =>
            {
                var data = ZooData.Read($"tests/fixtures/zoo/{network}.npz");
                Console.WriteLine($"[{network}] steps at batch {data.Samples}");
                return new NetworkSteps(network, data.Samples, StepCosts(File.ReadAllBytes($"tests/fixtures/zoo/{network}.onnx"), data, data.Samples, rounds, timedSteps));
            }),
        ];
        var report = Markdown(args, load + " → " + Load(), train.Samples, test.Samples, originalAccuracy, jobs, steps);
        Console.WriteLine(report);
        if (parsed.GetValue(OutOption) is { } path)
            File.WriteAllText(path, report);
        return 0;
    }

    private static JobRow Job(byte[] original, Dataset train, string data, PruningOptions options, Dataset test, int threads)
    {
        Console.WriteLine($"[{options.Objective}] Fisher to 25% FLOPs on {train.Samples:N0} images ({data})");
        var clock = Stopwatch.StartNew();
        var request = new PruneRequest(original, train, PruningMethod.Fisher, new PruningTarget(0.25, null), options);
        var outcome = new PruningEngine(new EngineSettings(threads, LatencyRepeats: 3, LatencyRounds: 2)).Run(request, new SilentProgress(), CancellationToken.None);
        var row = new JobRow(outcome.Objective, data, (double)outcome.After.Flops / outcome.Before.Flops, PruningSweep.TestAccuracy(outcome.PrunedOnnx, test),
            outcome.Trajectory.Count > 0 ? outcome.Trajectory[^1].Step : 0, outcome.FineTuning?.Steps ?? 0, clock.Elapsed.TotalSeconds);
        Console.WriteLine($"  {row}");
        return row;
    }

    /// <summary>Median ms per step of each kind: plain cross-entropy, distillation from recorded outputs, distillation running the teacher.</summary>
    private static (StepCost Plain, StepCost Recorded, StepCost TeacherRun) StepCosts(byte[] original, Dataset train, int batchSize, int rounds, int steps)
    {
        var graph = PruningEngine.ParseGraph(original, train);
        var options = new PruningOptions { BatchSize = batchSize, ValidationFraction = 0 };
        using var data = new TrainingData(train, graph.Inputs, options, CPU);
        using var plainModule = new GraphModule(graph, CPU);
        using var recordedModule = new GraphModule(graph, CPU);
        using var runModule = new GraphModule(graph, CPU);
        using var plainObjective = new Objective(plainModule, data, options with { Objective = Objective.Labels });
        using var recordedObjective = new Objective(recordedModule, data, options with { Objective = Objective.Distill });
        using var runObjective = new Objective(runModule, data, options with { Objective = Objective.Distill }, maxRecordedBytes: 0);
        if (!recordedObjective.Teacher!.Recorded || runObjective.Teacher!.Recorded)
            throw new InvalidOperationException("The two distillation sides must record and run the teacher respectively.");
        using var plain = new Trainer(plainModule, options, plainObjective);
        using var recorded = new Trainer(recordedModule, options, recordedObjective);
        using var run = new Trainer(runModule, options, runObjective);
        var sides = new (Trainer Trainer, List<StepCost> Rounds)[] { (plain, []), (recorded, []), (run, []) };
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (trainer, times) in sides)
                times.Add(StepBenchmark.MedianStep(steps, () =>
                {
                    using var scope = NewDisposeScope();
                    trainer.Step(data.NextTrainBatch());
                }));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  round {round + 1}: plain {sides[0].Rounds[^1]}, distill recorded {sides[1].Rounds[^1]}, distill running the teacher {sides[2].Rounds[^1]}"));
        }
        return (StepBenchmark.MedianOf(sides[0].Rounds), StepBenchmark.MedianOf(sides[1].Rounds), StepBenchmark.MedianOf(sides[2].Rounds));
    }

    private static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private static string Markdown(string[] args, string load, int trainSamples, int testSamples, double originalAccuracy, IReadOnlyList<JobRow> jobs, IReadOnlyList<NetworkSteps> steps)
    {
        var ic = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("# Distillation without labels (issue 14)");
        md.AppendLine();
        md.AppendLine("Measured by `bench/Shears.Bench` in one run (Release):");
        md.AppendLine();
        md.AppendLine("```");
        md.AppendLine($"dotnet run -c Release --project bench/Shears.Bench -- distill {string.Join(' ', args)}".TrimEnd());
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine(ic, $"Machine: {Environment.ProcessorCount} cores, 1-minute load average {load} (start → end of the run), one libtorch thread.");
        md.AppendLine();
        if (jobs.Count > 0)
        {
            md.AppendLine(ic, $"LeNet-5 by Fisher to 25% of the FLOPs, same options and seed for all three (batch 100, Fisher rounds of 10 steps, then fine-tuning), trained on " +
                $"{trainSamples:N0} Fashion-MNIST training images; accuracy of the shrunk ONNX in ONNX Runtime on {testSamples:N0} test images (original: {originalAccuracy:P2}).");
            md.AppendLine();
            md.AppendLine("| objective | upload | FLOPs kept | test accuracy | Δ vs labels (pt) | steps (Fisher rounds + fine-tuning) | wall |");
            md.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
            var labels = jobs.First(j => j.Objective == Objective.Labels).TestAccuracy;
            foreach (var job in jobs)
                md.AppendLine(ic, $"| {job.Objective} | {job.Data} | {job.FlopsFraction:P1} | {job.TestAccuracy:P2} | {(job.TestAccuracy - labels) * 100:+0.00;-0.00;0.00} | {job.PruningSteps} + {job.FineTuningSteps} | {job.WallSeconds:0} s |");
            md.AppendLine();
        }
        md.AppendLine("Training step (rounds alternating the three; wall: median of the rounds' medians; CPU: process user+system time per step, " +
            "the figure to compare on a shared machine, since wall time also counts the time other processes held the cores):");
        md.AppendLine();
        md.AppendLine("| network (batch) | step | CPU ms | wall ms | × plain (CPU) | × plain (wall) |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: |");
        foreach (var network in steps)
            foreach (var (name, cost) in new[]
            {
                ("plain (cross-entropy on labels)", network.Costs.Plain),
                ("distillation, teacher outputs recorded per row (data held in memory, not augmented)", network.Costs.Recorded),
                ("distillation, teacher forward on every batch (augmented batches)", network.Costs.TeacherRun),
            })
                md.AppendLine(ic, $"| {network.Network} ({network.Batch}) | {name} | {cost.CpuMs:F2} | {cost.WallMs:F2} | {cost.CpuMs / network.Costs.Plain.CpuMs:F2} | {cost.WallMs / network.Costs.Plain.WallMs:F2} |");
        return md.ToString();
    }
}
