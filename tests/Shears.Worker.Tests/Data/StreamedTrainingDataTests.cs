using System.IO.Compression;
using System.Runtime.InteropServices;
using Shears.Domain.Datasets;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Testing;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Checkpoints;
using SkiaSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Tests.Data;

/// <summary>A job's data read from stored files a batch at a time: image archives and IDX files.</summary>
public sealed class StreamedTrainingDataTests
{
    private static readonly EngineSettings Settings = new(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1);

    [Fact]
    public void Streamed_IDX_files_give_the_held_out_rows_and_labels_that_the_dataset_held_in_memory_gives()
    {
        var options = new PruningOptions { ValidationFraction = 0.1, BatchSize = 40, Seed = 4 };
        using var held = new TrainingData(Fixtures.Test1k(), Fixtures.FloatInput(-1, 1, 28, 28), options, CPU);
        using var streamed = new TrainingData(IdxFiles(), Fixtures.FloatInput(-1, 1, 28, 28), options, CPU);

        Assert.Equal(held.TrainCount, streamed.TrainCount);
        var (heldInputs, streamedInputs) = (held.ValidationInputs(100)[0], streamed.ValidationInputs(100)[0]);
        Assert.Equal(heldInputs.Shape, streamedInputs.Shape);
        Assert.Equal((float[])heldInputs.Values, (float[])streamedInputs.Values);
        using var scope = NewDisposeScope();
        foreach (var range in held.ValidationRanges(30))
        {
            var (heldBatch, streamedBatch) = (held.ValidationBatch(range), streamed.ValidationBatch(range));
            Assert.Equal(Values(heldBatch.Inputs[0]), Values(streamedBatch.Inputs[0]));
            Assert.Equal(Values(heldBatch.Labels!), Values(streamedBatch.Labels!));
            Assert.Equal(Values(heldBatch.Rows), Values(streamedBatch.Rows));
        }
        var batch = streamed.NextTrainBatch();
        Assert.Equal([40L, 1, 28, 28], batch.Inputs[0].shape);
        Assert.Equal([40L], batch.Labels!.shape);
    }

    [Fact]
    public void Archive_rows_are_resized_for_the_network_and_a_run_skipping_k_batches_goes_on_with_batch_k()
    {
        var options = new PruningOptions { ValidationFraction = 0.2, BatchSize = 8, Seed = 9 };
        using var data = new TrainingData(Archive(3, 12), Fixtures.FloatInput(-1, 3, 20, 20), options, CPU);
        using var resumed = new TrainingData(Archive(3, 12), Fixtures.FloatInput(-1, 3, 20, 20), options, CPU);
        Assert.Equal(29, data.TrainCount);
        Assert.Equal(3, data.NumClasses);

        using var scope = NewDisposeScope();
        var batches = Enumerable.Range(0, 7).Select(_ => data.NextTrainBatch()).ToList(); // 3 batches an epoch: into the third epoch
        Assert.Equal([8L, 3, 20, 20], batches[0].Inputs[0].shape);
        Assert.Equal(3, data.Epoch);
        resumed.SkipBatches(5);
        foreach (var k in new[] { 5, 6 })
        {
            var batch = resumed.NextTrainBatch();
            Assert.Equal(Values(batch.Inputs[0]), Values(batches[k].Inputs[0]));
            Assert.Equal(Values(batch.Labels!), Values(batches[k].Labels!));
            Assert.Equal(Values(batch.Rows), Values(batches[k].Rows));
        }
        // Held-out rows are never augmented: the same pixels every time they are read.
        Assert.Equal(Values(data.ValidationBatch((0, 7)).Inputs[0]), Values(resumed.ValidationBatch((0, 7)).Inputs[0]));
    }

    [Fact]
    public void An_image_that_does_not_decode_fails_the_job_naming_it()
    {
        var files = SyntheticImages.ClassFolders(2, 6, 24, 24, SKEncodedImageFormat.Png);
        var cut = files[3].Data;
        files[3] = (files[3].Path, cut[..(cut.Length / 2)]); // its header reads, its pixels do not
        var archive = SyntheticImages.Tar(files);
        var request = new PruneRequest(Fixtures.Network("tiny_cnn"), Stored(archive, "cut.tar"), PruningMethod.Magnitude,
            new PruningTarget(0.5, null), new PruningOptions { Steps = 2, BatchSize = 4, ValidationFraction = 0.25, Augment = false });
        var error = Assert.Throws<PruningFailedException>(() => new PruningEngine(Settings).Run(request, new RecordingProgress(), CancellationToken.None));
        Assert.Contains(files[3].Path, error.Message);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void A_job_on_an_image_archive_stopped_mid_fine_tuning_resumes_at_its_batch_and_ends_as_an_uninterrupted_run()
    {
        var options = new PruningOptions { Steps = 12, BatchSize = 10, ValidationFraction = 0.2, Seed = 2, CheckpointEverySteps = 4, Scope = "layer", LearningRate = 0.01 };
        PruneRequest Request(ITrainingCheckpoints? checkpoints) =>
            new(Fixtures.Network("tiny_cnn"), Archive(4, 15), PruningMethod.Magnitude, new PruningTarget(0.5, null), options, checkpoints);

        var progress = new RecordingProgress();
        var uninterrupted = new PruningEngine(Settings).Run(Request(null), progress, CancellationToken.None);
        Assert.Contains(progress.Logs, l => l.Contains("accuracy", StringComparison.Ordinal));
        Assert.InRange(uninterrupted.Before.Accuracy!.Value, 0, 1);

        using var stop = new CancellationTokenSource();
        var store = new MemoryCheckpoints(stop, cancelAfter: 2);
        Assert.ThrowsAny<OperationCanceledException>(() => new PruningEngine(Settings).Run(Request(store), new RecordingProgress(), stop.Token));
        var resumedProgress = new RecordingProgress();
        var resumed = new PruningEngine(Settings).Run(Request(store.Reopened()), resumedProgress, CancellationToken.None);

        Assert.Contains(resumedProgress.Logs, l => l.StartsWith("Resumed from the checkpoint saved after fine-tuning step 8 ", StringComparison.Ordinal));
        Assert.Equal(uninterrupted.After with { LatencyMs = 0 }, resumed.After with { LatencyMs = 0 });
        Assert.Equal(uninterrupted.WeightsSafetensors, resumed.WeightsSafetensors);
    }

    [Theory]
    [InlineData("token_encoder", "deflated.npz")]
    [InlineData("token_encoder", "stored.npz")]
    [InlineData("token_encoder", "safetensors")]
    [InlineData("two_input_regression", "deflated.npz")]
    [InlineData("two_input_regression", "safetensors")]
    public void Named_arrays_read_a_batch_at_a_time_feed_every_input_what_the_dataset_held_in_memory_does(string network, string format)
    {
        var graph = OnnxGraph.Parse(Fixtures.Network(network));
        var options = new PruningOptions { ValidationFraction = 0.2, BatchSize = 32, Seed = 5 };
        var npz = File.ReadAllBytes(Fixtures.PathOf($"{network}.npz"));
        var bytes = format switch
        {
            "stored.npz" => Rezipped(npz, CompressionLevel.NoCompression),
            "safetensors" => AsSafetensors(npz),
            _ => npz,
        };
        using var held = new TrainingData(TaskNetworkPruningTests.Npz(network), graph.Inputs, options, CPU);
        using var streamed = new TrainingData(new JobDataset.Stored(new StoredDatasetFiles(() => new MemoryStream(bytes), $"{network}.{format}", null, null)),
            graph.Inputs, options, CPU);
        Assert.True(streamed.IsStreamed);
        Assert.Equal(held.Samples, streamed.Samples);
        Assert.False(streamed.HasLabels);

        using var scope = NewDisposeScope();
        foreach (var range in held.ValidationRanges(50))
        {
            var (heldBatch, streamedBatch) = (held.ValidationBatch(range), streamed.ValidationBatch(range));
            Assert.Equal(graph.Inputs.Count, streamedBatch.Inputs.Length);
            for (var i = 0; i < graph.Inputs.Count; i++)
            {
                Assert.Equal(heldBatch.Inputs[i].dtype, streamedBatch.Inputs[i].dtype); // int64 ids stay integers
                Assert.Equal(heldBatch.Inputs[i].shape, streamedBatch.Inputs[i].shape);
                Assert.Equal(Values(heldBatch.Inputs[i]), Values(streamedBatch.Inputs[i]));
            }
        }
        var batch = streamed.NextTrainBatch();
        Assert.Equal([.. graph.Inputs.Select(i => i.IsInteger ? ScalarType.Int64 : ScalarType.Float32)], batch.Inputs.Select(x => x.dtype));
        Assert.All(batch.Inputs, x => Assert.Equal(32, x.shape[0]));
    }

    /// <summary>The archive's members written again at <paramref name="level"/> (NoCompression: stored, as numpy.savez writes them).</summary>
    private static byte[] Rezipped(byte[] npz, CompressionLevel level)
    {
        using var output = new MemoryStream();
        using (var source = new ZipArchive(new MemoryStream(npz), ZipArchiveMode.Read))
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in source.Entries)
            {
                using var from = entry.Open();
                using var to = target.CreateEntry(entry.FullName, level).Open();
                from.CopyTo(to);
            }
        }
        return output.ToArray();
    }

    /// <summary>The archive's float32 and int64 arrays as one .safetensors file.</summary>
    private static byte[] AsSafetensors(byte[] npz)
    {
        using var archive = new ZipArchive(new MemoryStream(npz), ZipArchiveMode.Read);
        return Safetensors.File([.. archive.Entries.Select(entry =>
        {
            using var stream = entry.Open();
            var array = NumericArrayFile.Read(stream, entry.FullName, new DatasetLimits());
            var (dtype, data) = array.Header.ElementType == ElementType.Int64
                ? ("I64", MemoryMarshal.AsBytes(array.ToLongs().AsSpan()).ToArray())
                : ("F32", MemoryMarshal.AsBytes(array.ToFloats().AsSpan()).ToArray());
            return (entry.FullName[..^4], dtype, array.Header.Shape.Select(d => (long)d).ToArray(), data);
        })]);
    }

    private static double[] Values(Tensor t) => [.. t.to_type(ScalarType.Float64).data<double>()];

    /// <summary>Class folders of PNG and JPEG images of 30×24 (not the network's size), in a tar.gz.</summary>
    private static JobDataset.Stored Archive(int classes, int perClass) =>
        Stored(SyntheticImages.Tar(SyntheticImages.ClassFolders(classes, perClass, 30, 24, SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg), gzip: true), "set.tar.gz");

    private static JobDataset.Stored Stored(byte[] archive, string name) =>
        new JobDataset.Stored(new StoredDatasetFiles(() => new MemoryStream(archive), name, null, null));

    private static JobDataset.Stored IdxFiles() => new JobDataset.Stored(new StoredDatasetFiles(
        () => File.OpenRead(Fixtures.PathOf("fashion_test_1k-images-idx3-ubyte.gz")), "fashion_test_1k-images-idx3-ubyte.gz",
        () => File.OpenRead(Fixtures.PathOf("fashion_test_1k-labels-idx1-ubyte.gz")), "fashion_test_1k-labels-idx1-ubyte.gz"));
}
