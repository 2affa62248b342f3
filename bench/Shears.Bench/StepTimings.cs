using System.Diagnostics;
using System.Text.Json;
using Shears.Domain.Datasets;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using static TorchSharp.torch;

namespace Shears.Bench;

/// <summary>Milliseconds per step, wall-clock median and process CPU time: plain TorchSharp, Fisher TorchSharp, plain PyTorch.</summary>
internal sealed record StepTimings(StepCost Plain, StepCost Fisher, StepCost PyTorch, string PyTorchVersion);

/// <summary>One kind of step: median wall time and mean process CPU time per step.</summary>
internal sealed record StepCost(double WallMs, double CpuMs);

/// <summary>
/// Times training steps side by side in one run: rounds alternate a plain step of the ONNX-graph
/// module, a Fisher step (gates, captured gradients, signal accumulation) and the same plain step in
/// PyTorch (bench/pytorch_step.py, same weights, data, batch and thread count), so machine load
/// hits all three alike. Reports the median over rounds of each round's median.
/// </summary>
internal static class StepBenchmark
{
    public static StepTimings Run(BenchOptions options, OnnxGraph graph, Dataset train)
    {
        var jobOptions = new PruningOptions { BatchSize = 100 };
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        using var plainModule = new GraphModule(graph, CPU);
        using var fisherModule = new GraphModule(graph, CPU);
        using var plainData = new TrainingData(train, graph.InputShape, jobOptions, CPU);
        using var fisherData = new TrainingData(train, graph.InputShape, jobOptions, CPU);
        using var plain = new Trainer(plainModule, jobOptions);
        using var session = new PruningSession(graph, groups, fisherModule, fisherData, new PruningTarget(0.5, null), jobOptions, new SilentProgress(), CancellationToken.None);
        using var signal = new FisherSignal(session.Gates);
        session.Gates.CaptureGradients = true;

        var plainRounds = new List<StepCost>();
        var fisherRounds = new List<StepCost>();
        var torchRounds = new List<StepCost>();
        var version = "";
        for (var round = 0; round < options.Rounds; round++)
        {
            plainRounds.Add(MedianStep(options.StepsPerRound, () =>
            {
                using var scope = NewDisposeScope();
                var (x, y) = plainData.NextTrainBatch();
                plain.Step(x, y);
            }));
            fisherRounds.Add(MedianStep(options.StepsPerRound, () => FisherPruning.Step(session, signal)));
            (var torch, version) = PyTorch(options);
            torchRounds.Add(torch);
            Console.WriteLine($"  round {round + 1}: plain {plainRounds[^1]}, fisher {fisherRounds[^1]}, pytorch {torch}");
        }
        return new StepTimings(MedianOf(plainRounds), MedianOf(fisherRounds), MedianOf(torchRounds), version);
    }

    private static StepCost MedianOf(List<StepCost> rounds) =>
        new(LatencyComparison.Median([.. rounds.Select(r => r.WallMs)]), LatencyComparison.Median([.. rounds.Select(r => r.CpuMs)]));

    private static StepCost MedianStep(int steps, Action step)
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

    private static (StepCost Cost, string Version) PyTorch(BenchOptions options)
    {
        var start = new ProcessStartInfo("/usr/bin/python3",
            ["bench/pytorch_step.py", "--onnx", options.Network, "--threads", options.Threads.ToString(), "--steps", options.StepsPerRound.ToString()])
        { RedirectStandardOutput = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"bench/pytorch_step.py failed ({process.ExitCode}).");
        using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        var result = json.RootElement;
        return (new StepCost(result.GetProperty("median_ms").GetDouble(), result.GetProperty("cpu_ms").GetDouble()), result.GetProperty("torch").GetString() ?? "");
    }
}
