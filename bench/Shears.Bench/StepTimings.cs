using System.Diagnostics;
using Shears.Domain.Datasets;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Methods;
using Shears.Worker.Engine.Methods.L0;
using Shears.Worker.Engine.Runtime;
using Shears.Worker.Engine.Training;
using static TorchSharp.torch;

namespace Shears.Bench;

/// <summary>Milliseconds per step, wall-clock median and process CPU time: plain TorchSharp, Fisher and L0 TorchSharp, plain PyTorch (NaN when skipped).</summary>
internal sealed record StepTimings(StepCost Plain, StepCost Fisher, StepCost PyTorch, string PyTorchVersion, StepCost L0);

/// <summary>One kind of step: median wall time and mean process CPU time per step.</summary>
internal sealed record StepCost(double WallMs, double CpuMs);

/// <summary>
/// Times training steps side by side in one run: rounds alternate a plain step of the ONNX-graph
/// module, a Fisher step (gates, captured gradients, signal accumulation), an L0 step (gate samples,
/// expected-cost penalty, gate optimizer, λ controller) and the same plain step in PyTorch
/// (bench/pytorch_step.py, same weights, data, batch and thread count), so machine load hits them
/// alike. Reports the median over rounds of each round's median. Without python3-torch the PyTorch
/// side is skipped with a note.
/// </summary>
internal static class StepBenchmark
{
    public static StepTimings Run(BenchOptions options, OnnxGraph graph, Dataset train)
    {
        var jobOptions = new PruningOptions { BatchSize = 100, Objective = Objective.Labels };
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        using var plainModule = new GraphModule(graph, CPU);
        using var fisherModule = new GraphModule(graph, CPU);
        using var plainData = new TrainingData(train, graph.Inputs, jobOptions, CPU);
        using var fisherData = new TrainingData(train, graph.Inputs, jobOptions, CPU);
        using var plainObjective = new Objective(plainModule, plainData, jobOptions);
        using var plain = new Trainer(plainModule, jobOptions, plainObjective);
        using var session = new PruningSession(graph, groups, fisherModule, fisherData, new PruningTarget(0.5, null), jobOptions, new SilentProgress(), CancellationToken.None);
        using var signal = new FisherSignal(session.Gates);
        session.Gates.CaptureGradients = true;

        using var l0Module = new GraphModule(graph, CPU);
        using var l0Data = new TrainingData(train, graph.Inputs, jobOptions, CPU);
        using var l0Session = new PruningSession(graph, groups, l0Module, l0Data, new PruningTarget(null, 0.25), jobOptions, new SilentProgress(), CancellationToken.None);
        using var l0Cost = ExpectedCost.Fit(groups, l0Session.Cost.TargetCostOf);
        using var l0Gates = new L0Gates(l0Session, new HardConcrete());
        var l0Steps = options.Rounds * (options.StepsPerRound + 10);
        using var l0 = new L0GateTraining(l0Session, new ChannelGateSet(l0Gates, l0Cost), 0.25, l0Steps);
        var l0Step = 0;

        var plainRounds = new List<StepCost>();
        var fisherRounds = new List<StepCost>();
        var torchRounds = new List<StepCost>();
        var l0Rounds = new List<StepCost>();
        var version = "";
        var skipped = new StepCost(double.NaN, double.NaN);
        var hasTorch = true;
        for (var round = 0; round < options.Rounds; round++)
        {
            plainRounds.Add(MedianStep(options.StepsPerRound, () =>
            {
                using var scope = NewDisposeScope();
                plain.Step(plainData.NextTrainBatch());
            }));
            fisherRounds.Add(MedianStep(options.StepsPerRound, () => FisherPruning.Step(session, signal)));
            l0Rounds.Add(MedianStep(options.StepsPerRound, () => l0.Step(++l0Step)));
            var pytorch = hasTorch ? PyTorchStep.Run(["--onnx", options.Network, "--threads", options.Threads.ToString(), "--steps", options.StepsPerRound.ToString()]) : null;
            (hasTorch, version) = (pytorch is not null, pytorch?.Version ?? "(skipped)");
            var torch = pytorch?.Cost;
            torchRounds.Add(torch ?? skipped);
            Console.WriteLine($"  round {round + 1}: plain {plainRounds[^1]}, fisher {fisherRounds[^1]}, l0 {l0Rounds[^1]}, pytorch {torch}");
        }
        var timings = new StepTimings(MedianOf(plainRounds), MedianOf(fisherRounds), MedianOf(torchRounds), version, MedianOf(l0Rounds));
        Console.WriteLine($"  CPU time per step: plain {timings.Plain.CpuMs:F2} ms, fisher {timings.Fisher.CpuMs:F2} ms ({timings.Fisher.CpuMs / timings.Plain.CpuMs:F2} × plain), " +
            $"l0 {timings.L0.CpuMs:F2} ms ({timings.L0.CpuMs / timings.Plain.CpuMs:F2} × plain; wall {timings.L0.WallMs / timings.Plain.WallMs:F2} ×)");
        return timings;
    }

    internal static StepCost MedianOf(List<StepCost> rounds) =>
        new(LatencyComparison.Median([.. rounds.Select(r => r.WallMs)]), LatencyComparison.Median([.. rounds.Select(r => r.CpuMs)]));

    /// <summary>Ten warm-up steps, then <paramref name="steps"/> timed: the median wall time and the mean process CPU time per step.</summary>
    internal static StepCost MedianStep(int steps, Action step)
    {
        for (var i = 0; i < 10; i++)
            step();
        var times = new List<double>(steps);
        var cpuStarted = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < steps; i++)
        {
            var started = Stopwatch.GetTimestamp();
            step();
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuStarted;
        return new StepCost(LatencyComparison.Median(times), cpu.TotalMilliseconds / steps);
    }
}
