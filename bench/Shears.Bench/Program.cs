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
    // Child mode: one Fisher job, its result as one JSON line.
    var point = FisherSweep.Run(original, jobTarget, options, FashionMnist.Train(), FashionMnist.Test());
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
var originalAccuracy = FisherSweep.TestAccuracy(original, test);
Console.WriteLine($"Original test accuracy: {originalAccuracy:P2}");
var sweep = (await Task.WhenAll(jobs)).ToList();

var report = BenchReport.Markdown(options, args, steps, originalAccuracy, sweep, clock.Elapsed);
Console.WriteLine(report);
if (options.Output is { } path)
    File.WriteAllText(path, report);
