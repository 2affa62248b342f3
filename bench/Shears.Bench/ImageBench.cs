using System.CommandLine;
using System.Diagnostics;
using Shears.Domain.Datasets.Images;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Testing;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
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

    private static void Run(string archivePath, string networkPath, int batchSize, int rounds, int steps)
    {
        var graph = OnnxGraph.Parse(File.ReadAllBytes(networkPath));
        var options = new PruningOptions { BatchSize = batchSize };
        var preprocessing = ImagePreprocessing.For(graph.Inputs[0].Shape, options);

        var clock = Stopwatch.StartNew();
        using var file = File.OpenRead(archivePath);
        using var source = new ImageArchiveSource(file, ArchiveFormats.Detect(file) ?? throw new ArgumentException($"{archivePath} is not an archive"),
            Path.GetFileName(archivePath), preprocessing);
        Console.WriteLine($"{archivePath}: {source.Count:N0} images, {source.NumClasses} classes, indexed and copied out in {clock.Elapsed.TotalSeconds:F1} s; " +
            $"peak memory so far {PeakMegabytes():F0} MB");
        var labels = source.Labels ?? throw new ArgumentException("the benchmark trains on labels; give it a labelled archive");
        var rows = Enumerable.Range(0, source.Count).ToArray();
        using var loader = new BatchLoader(source, rows, labels, batchSize, seed: 1, augment: true);

        // The in-memory side: a few batches' worth of rows decoded once into one tensor, gathered by index each step.
        var resident = SampleReading.Read(source, rows[..Math.Min(rows.Length, 8 * batchSize)], labels, _ => null);
        long[] shape = [resident.Rows.Length, .. preprocessing.SampleShape];
        using var residentX = tensor(resident.Inputs, shape);
        using var residentY = tensor(resident.Labels!);
        using var generator = new Generator(1);

        using var module = new GraphModule(graph, CPU);
        using var objective = Objective.LabelsOnly(module);
        using var trainer = new Trainer(module, options, objective);
        var memorySide = new List<double>();
        var loaderSide = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            memorySide.Add(MedianStepMs(steps, () =>
            {
                using var scope = NewDisposeScope();
                var pick = randint(0, resident.Rows.Length, [batchSize], dtype: ScalarType.Int64, generator: generator);
                trainer.Step(new Batch([residentX.index_select(0, pick)], residentY.index_select(0, pick), pick));
            }));
            loaderSide.Add(MedianStepMs(steps, () =>
            {
                using var scope = NewDisposeScope();
                var batch = loader.Next();
                trainer.Step(new Batch([tensor(batch.Inputs, [batchSize, .. preprocessing.SampleShape])], tensor(batch.Labels!), arange(batchSize)));
            }));
            Console.WriteLine($"  round {round + 1}: in memory {memorySide[^1]:F1} ms/step, from the archive {loaderSide[^1]:F1} ms/step");
        }
        var (inMemory, streamed) = (LatencyComparison.Median([.. memorySide]), LatencyComparison.Median([.. loaderSide]));
        Console.WriteLine($"Step (batch {batchSize}, {Path.GetFileName(networkPath)}, {preprocessing.Height}×{preprocessing.Width}×{preprocessing.Channels}, augmented): " +
            $"in-memory tensors {inMemory:F1} ms, streaming loader {streamed:F1} ms, ratio {streamed / inMemory:F3} (loader overhead {(streamed / inMemory - 1):P1})");
        Console.WriteLine($"Peak memory of the process (VmHWM): {PeakMegabytes():F0} MB");
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
