using System.CommandLine;
using System.Diagnostics;
using Shears.Domain.Datasets;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Testing;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Runtime;
using Shears.Worker.Engine.Training;
using SkiaSharp;
using static TorchSharp.torch;

namespace Shears.Bench;

/// <summary>
/// <c>bench images</c>: training from an image archive through the streaming loader, side by side with the same steps on
/// batches already in memory as tensors (rounds alternate, so machine load hits both alike), and the process's peak
/// memory. <c>--make</c> writes a synthetic archive of class folders (the fixture the benchmark reads).
/// </summary>
internal static class ImageBench
{
    private static readonly Option<string?> ArchiveOption = new("--archive") { Description = "Image archive to train from (zip, tar, tar.gz)." };
    private static readonly Option<string?> MakeOption = new("--make") { Description = "Write a synthetic tar archive of class folders here and stop." };
    private static readonly Option<int> CountOption = new("--count") { DefaultValueFactory = _ => 50_000, Description = "--make: images (10 classes, PNG and JPEG in turn)." };
    private static readonly Option<int> SizeOption = new("--size") { DefaultValueFactory = _ => 96, Description = "--make: width and height of the images." };
    private static readonly Option<string> NetworkOption = new("--network") { DefaultValueFactory = _ => "tests/fixtures/mobilenet_v2.onnx", Description = "Network trained (input [N, C, H, W])." };
    private static readonly Option<int> BatchOption = new("--batch") { DefaultValueFactory = _ => 64, Description = "Batch size." };
    private static readonly Option<int> RoundsOption = new("--rounds") { DefaultValueFactory = _ => 5, Description = "Alternating rounds." };
    private static readonly Option<int> StepsOption = new("--steps") { DefaultValueFactory = _ => 20, Description = "Timed steps per round and side." };
    private static readonly Option<int> ThreadsOption = new("--threads") { DefaultValueFactory = _ => 1, Description = "libtorch intra-op threads." };

    public static int Run(string[] args)
    {
        var root = new RootCommand("Shears image-loader benchmark.")
        {
            ArchiveOption, MakeOption, CountOption, SizeOption, NetworkOption, BatchOption, RoundsOption, StepsOption, ThreadsOption,
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 || parsed.Action is not null || (parsed.GetValue(ArchiveOption) is null && parsed.GetValue(MakeOption) is null))
        {
            root.Parse(args.Append("--help").ToArray()).Invoke();
            return 2;
        }
        if (parsed.GetValue(MakeOption) is { } target)
        {
            Make(target, parsed.GetValue(CountOption), parsed.GetValue(SizeOption));
            return 0;
        }
        set_num_threads(parsed.GetValue(ThreadsOption));
        Run(parsed.GetValue(ArchiveOption)!, parsed.GetValue(NetworkOption)!, parsed.GetValue(BatchOption), parsed.GetValue(RoundsOption), parsed.GetValue(StepsOption));
        return 0;
    }

    private static void Make(string path, int count, int size)
    {
        var clock = Stopwatch.StartNew();
        using (var file = File.Create(path))
        {
            SyntheticImages.WriteTar(file, SyntheticImages.ClassFolderFiles(10, count / 10, size, size, SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg));
        }
        Console.WriteLine($"{path}: {count / 10 * 10:N0} images of {size}×{size} in 10 class folders, {new FileInfo(path).Length / 1e6:F0} MB, {clock.Elapsed.TotalSeconds:F0} s");
    }

    /// <summary>
    /// Both sides are the engine's own <see cref="TrainingData"/>: the archive read a batch at a time (decoded, augmented,
    /// prefetched on background threads), as a job reads it, against a few batches' worth of its rows decoded once and
    /// held as tensors (what an in-memory dataset costs a step: a gather).
    /// </summary>
    private static void Run(string archivePath, string networkPath, int batchSize, int rounds, int steps)
    {
        var graph = OnnxGraph.Parse(File.ReadAllBytes(networkPath));
        var options = new PruningOptions { BatchSize = batchSize };

        var clock = Stopwatch.StartNew();
        var files = new StoredDatasetFiles(() => File.OpenRead(archivePath), Path.GetFileName(archivePath), null, null);
        using var streamed = new TrainingData(new JobDataset.Stored(files), graph.Inputs, options, CPU);
        Console.WriteLine($"{archivePath}: {streamed.TrainCount + streamed.ValidationCount:N0} images, {streamed.NumClasses} classes, indexed and " +
            $"copied out in {clock.Elapsed.TotalSeconds:F1} s; peak memory so far {PeakMegabytes():F0} MB");

        using var held = new TrainingData(Resident(streamed, 8 * batchSize), graph.Inputs, options with { ValidationFraction = 0, InputScale = 1 }, CPU);
        using var module = new GraphModule(graph, CPU);
        using var objective = Objective.LabelsOnly(module);
        using var trainer = new Trainer(module, options, objective);
        var memorySide = new List<double>();
        var loaderSide = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            memorySide.Add(MedianStepMs(steps, () => Step(trainer, held)));
            loaderSide.Add(MedianStepMs(steps, () => Step(trainer, streamed)));
            Console.WriteLine($"  round {round + 1}: in memory {memorySide[^1]:F1} ms/step, from the archive {loaderSide[^1]:F1} ms/step");
        }
        var (inMemory, fromArchive) = (LatencyComparison.Median([.. memorySide]), LatencyComparison.Median([.. loaderSide]));
        var input = string.Join("×", module.Graph.Inputs[0].Shape.Skip(1));
        Console.WriteLine($"Step (batch {batchSize}, {Path.GetFileName(networkPath)}, input {input}, augmented): " +
            $"in-memory tensors {inMemory:F1} ms, streaming loader {fromArchive:F1} ms, ratio {fromArchive / inMemory:F3} (loader overhead {(fromArchive / inMemory - 1):P1})");
        Console.WriteLine($"Peak memory of the process (VmHWM): {PeakMegabytes():F0} MB");
    }

    private static void Step(Trainer trainer, TrainingData data)
    {
        using var scope = NewDisposeScope();
        trainer.Step(data.NextTrainBatch());
    }

    /// <summary>The first <paramref name="count"/> held-out (so unaugmented) rows of <paramref name="data"/>, as a dataset held in memory.</summary>
    private static Dataset Resident(TrainingData data, int count)
    {
        using var scope = NewDisposeScope();
        var batch = data.ValidationBatch((0, Math.Min(count, data.ValidationCount)));
        var x = batch.Inputs[0];
        return Dataset.OfOneArray(x.contiguous().data<float>().ToArray(), [.. x.shape.Skip(1).Select(d => (int)d)],
            batch.Labels!.data<long>().ToArray(), data.NumClasses, isByteData: false);
    }

    private static double MedianStepMs(int steps, Action step)
    {
        step(); // warm-up
        var times = new List<double>(steps);
        for (var i = 0; i < steps; i++)
        {
            var started = Stopwatch.GetTimestamp();
            step();
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        return LatencyComparison.Median([.. times]);
    }

    /// <summary>The process's peak resident memory, from /proc/self/status (Linux).</summary>
    private static double PeakMegabytes()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
    }
}
