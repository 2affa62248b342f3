using System.Diagnostics;
using System.Text.Json;
using Shears.Bench;
using Shears.Domain.Onnx;
using static TorchSharp.torch;

// Shears engine benchmark: run from the repository root, e.g.
//   dotnet run -c Release --project bench/Shears.Bench -- --threads 1
var options = BenchOptions.Parse(args);
set_num_threads(options.Threads);
var original = File.ReadAllBytes(options.Network);

if (options.Job is { } jobTarget)
{
    // Child mode: one pruning job, its result as one JSON line.
    var point = PruningSweep.Run(original, jobTarget, options, FashionMnist.Train(), FashionMnist.Test());
    Console.WriteLine(JsonSerializer.Serialize(point));
    return;
}

var clock = Stopwatch.StartNew();
var test = FashionMnist.Test();
// The jobs run in child processes, all at once (each measures its own peak memory); the step
// timings run meanwhile and compare CPU time, which other processes on the machine do not inflate.
var jobs = (options.StepsOnly ? [] : options.FlopsTargets).Select(target => Task.Run(() => FisherSweep.InChildProcess(target, args))).ToList();
Console.WriteLine($"Training steps (batch 100, {options.Threads} thread(s), {options.Rounds} rounds × {options.StepsPerRound} steps):");
var steps = StepBenchmark.Run(options, OnnxGraph.Parse(original), FashionMnist.Train());
var originalAccuracy = PruningSweep.TestAccuracy(original, test);
Console.WriteLine($"Original test accuracy: {originalAccuracy:P2}");
<<<<<<< HEAD

var sweep = new List<SweepPoint>();
foreach (var target in options.FlopsTargets)
{
    Console.WriteLine($"{options.Method} pruning to {target:P0} of the FLOPs:");
    sweep.Add(PruningSweep.InChildProcess(target, args));
    Console.WriteLine($"  → FLOPs {sweep[^1].FlopsFraction:P1}, test accuracy {sweep[^1].TestAccuracy:P2}, latency {sweep[^1].OriginalLatencyMs:F3} → {sweep[^1].PrunedLatencyMs:F3} ms, peak RSS {sweep[^1].PeakRssMb:F0} MB");
}
=======
var sweep = (await Task.WhenAll(jobs)).ToList();
>>>>>>> main

var report = BenchReport.Markdown(options, args, steps, originalAccuracy, sweep, clock.Elapsed);
Console.WriteLine(report);
if (options.Output is { } path)
    File.WriteAllText(path, report);
