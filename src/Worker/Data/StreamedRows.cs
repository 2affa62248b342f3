using Shears.Domain.Datasets;
using Shears.Domain.Datasets.Images;
using Shears.Domain.Jobs;
using Shears.Worker.Engine;
using static TorchSharp.torch;

namespace Shears.Worker.Data;

/// <summary>
/// A stored dataset read a batch at a time, never held whole: an image archive (decoded and preprocessed per the job's
/// options, training batches augmented unless the job says <c>augment: false</c>; its labels, or none) or IDX/.npy inputs
/// with their labels file, if any. It feeds one graph input.
/// Training batches come from a <see cref="BatchLoader"/> that builds the next ones on background threads while the
/// current one trains; memory holds the labels, the row lists and a few batches, whatever the dataset's size.
/// </summary>
public sealed class StreamedRows : IRowFeed
{
    private const int Prefetch = 4;

    private readonly ISampleSource source;
    private readonly long[]? labels;
    private readonly bool augment;
    private readonly Device device;
    private BatchLoader? loader;
    private long nextIndex;

    public StreamedRows(StoredDatasetFiles files, IReadOnlyList<long> modelInputShape, PruningOptions options, Device device)
    {
        this.device = device;
        using var inputs = Seekable(files.OpenInputs());
        if (ArchiveFormats.Detect(inputs) is { } format)
        {
            var preprocessing = ImagePreprocessing.For(modelInputShape, options);
            var images = new ImageArchiveSource(inputs, format, files.InputsFileName, preprocessing);
            source = images;
            labels = images.Labels;
            NumClasses = images.NumClasses;
            augment = preprocessing.Augment;
        }
        else
        {
            source = new ArrayFileSource(inputs, files.InputsFileName, modelInputShape, options.InputScale);
            if (files.OpenLabels is { } openLabels)
            {
                using var labelFile = openLabels();
                (labels, NumClasses) = DatasetReader.ReadLabels(labelFile, files.LabelsFileName!, source.Count, files.InputsFileName, new DatasetLimits());
            }
        }
    }

    public int Samples => source.Count;

    public int NumClasses { get; }

    public bool HasLabels => labels is not null;

    public bool AugmentsTraining => augment;

    public Batch Rows(long[] rows) => ToDevice(() => SampleReading.Read(source, [.. rows.Select(r => (int)r)], labels, _ => null));

    public Batch TrainBatch(long index, long[] trainRows, int batchSize, int seed)
    {
        if (loader is null || index != nextIndex)
        {
            loader?.Dispose();
            loader = new BatchLoader(source, [.. trainRows.Select(r => (int)r)], labels, batchSize, seed, augment, firstBatch: index, Prefetch);
        }
        nextIndex = index + 1;
        return ToDevice(loader.Next);
    }

    /// <summary>The batch <paramref name="read"/> builds, on the device; an image that does not decode fails the job naming it.</summary>
    private Batch ToDevice(Func<HostBatch> read)
    {
        HostBatch batch;
        try
        {
            batch = read();
        }
        catch (InvalidDataException e)
        {
            throw new PruningFailedException($"The dataset could not be read: {e.Message}");
        }
        return new Batch([tensor(batch.Inputs, [batch.Rows.Length, .. source.SampleShape], device: device)],
            batch.Labels is null ? null : tensor(batch.Labels, device: device), tensor(batch.Rows.Select(r => (long)r).ToArray(), device: device));
    }

    /// <summary>The stored file itself when it can seek (a zip's directory is at its end), else a local copy.</summary>
    private static Stream Seekable(Stream stored)
    {
        if (stored.CanSeek)
            return stored;
        using (stored)
        {
            var copy = new FileStream(Path.Combine(Path.GetTempPath(), $"shears-dataset-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew,
                FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
            stored.CopyTo(copy);
            copy.Position = 0;
            return copy;
        }
    }

    public void Dispose()
    {
        loader?.Dispose();
        source.Dispose();
    }
}
