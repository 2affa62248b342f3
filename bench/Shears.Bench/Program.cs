using System.Diagnostics;
using System.Text.Json;
using Shears.Bench;
using Shears.Domain.Onnx;
using static TorchSharp.torch;

// Shears engine benchmark: run from the repository root, e.g.
//   dotnet run -c Release --project bench/Shears.Bench -- --methods magnitude,fisher,l0 --targets 0.5,0.25,0.1
// or the image loader: bench/images.sh (dotnet run ... -- images --make / --archive)
// or distillation against labels (issue 14): dotnet run ... -- distill --out docs/distill-bench.md
// or attention heads (issue 15): dotnet run ... -- heads (zoo vit and bert with half their heads removed, in ONNX Runtime)
// or transformer training steps (issue 15): dotnet run ... -- steps (zoo vit and bert through the engine vs PyTorch)
if (args is ["images", .. var imageArgs])
    return ImageBench.Run(imageArgs);
if (args is ["distill", .. var distillArgs])
    return DistillBench.Run(distillArgs);
if (args is ["heads", .. var headsArgs])
    return HeadsBench.Run(headsArgs);
if (args is ["steps", .. var stepsArgs])
    return TransformerSteps.Run(stepsArgs);
if (BenchOptions.Parse(args) is not { } options)
    return 2;
set_num_threads(options.Threads);
var original = File.ReadAllBytes(options.Network);
if (options.Job is { } job)
{
    // Child mode: one job, its result as one JSON line.
    var point = PruningSweep.Run(original, job, options, FashionMnist.Train(), FashionMnist.Test());
    Console.WriteLine(JsonSerializer.Serialize(point));
    return 0;
}

if (options.DefaultsCase is { } defaultsCase)
{
    // Child mode: one default-options job, its row as one JSON line.
    Console.WriteLine(JsonSerializer.Serialize(DefaultsBench.RunCase(options, defaultsCase)));
    return 0;
}

if (options.BudgetsCase is { } budgetsCase)
{
    // Child mode: one budgets job, its row as one JSON line.
    Console.WriteLine(JsonSerializer.Serialize(BudgetsBench.RunCase(options, budgetsCase)));
    return 0;
}

if (options.Budgets)
    return Publish(BudgetsBench.Markdown(BudgetsBench.Run(options, args), args));
if (options.Defaults)
    return Publish(DefaultsBench.Markdown(DefaultsBench.Run(options, args), options.JobOptions, args));
if (options.Zoo)
    return Publish(ZooTable.Markdown(ZooTable.Run(options), args));

if (options.Widths.Count > 0)
{
    WidthLatencies.Print(original, options.Widths, FashionMnist.Test());
    return 0;
}

var clock = Stopwatch.StartNew();
var test = FashionMnist.Test();
// The jobs run in child processes, all at once (each measures its own peak memory); the step
// timings run meanwhile and compare CPU time, which other processes on the machine do not inflate.
var sweepJobs = options.StepsOnly ? [] : options.Methods.SelectMany(method => options.FlopsTargets.Select(target => new SweepJob(method, target)));
var jobs = sweepJobs.Select(job => Task.Run(() => PruningSweep.InChildProcess(job, args))).ToList();
Console.WriteLine($"Training steps (batch 100, {options.Threads} thread(s), {options.Rounds} rounds × {options.StepsPerRound} steps):");
var steps = StepBenchmark.Run(options, OnnxGraph.Parse(original), FashionMnist.Train());
var originalAccuracy = PruningSweep.TestAccuracy(original, test);
Console.WriteLine($"Original test accuracy: {originalAccuracy:P2}");
var sweep = (await Task.WhenAll(jobs)).ToList();

return Publish(BenchReport.Markdown(options, args, steps, originalAccuracy, sweep, clock.Elapsed));

// A report goes to the console and, with --output, to its file.
int Publish(string report)
{
    Console.WriteLine(report);
    if (options.Output is { } path)
        File.WriteAllText(path, report);
    return 0;
}
