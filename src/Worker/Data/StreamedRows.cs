using Shears.Domain.Datasets;
using Shears.Domain.Datasets.Images;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using static TorchSharp.torch;

namespace Shears.Worker.Data;

/// <summary>
/// A stored dataset read a batch at a time, never held whole: an image archive (decoded and preprocessed per the job's
/// options, training batches augmented unless the job says <c>augment: false</c>; its labels, or none), feeding the
/// network's one input; or array files, an IDX/.npy inputs file or the named arrays of a .npz or .safetensors file
/// (matched to the graph's inputs by name, see <see cref="DatasetFit"/>), with their labels, if any.
/// Training batches come from a <see cref="BatchLoader"/> that builds the next ones on background threads while the
/// current one trains; memory holds the labels, the row lists and a few batches, whatever the dataset's size.
/// </summary>
public sealed class StreamedRows : IRowFeed
{
    private const int Prefetch = 4;

    private readonly SampleColumn[] columns;
    private readonly long[]? labels;
    private readonly bool augment;
    private readonly Device device;
    private BatchLoader? loader;
    private long nextIndex;

    public StreamedRows(StoredDatasetFiles files, IReadOnlyList<GraphTensor> graphInputs, PruningOptions options, Device device)
    {
        this.device = device;
        using var inputs = Seekable(files.OpenInputs());
        if (ArchiveFormats.Detect(inputs) is { } format)
        {
            if (graphInputs.Count != 1)
                throw new PruningFailedException($"The network takes {graphInputs.Count} inputs; an image archive feeds one.");
            var preprocessing = ImagePreprocessing.For(graphInputs[0].Shape, options);
            var images = new ImageArchiveSource(inputs, format, files.InputsFileName, preprocessing);
            columns = [new SampleColumn(images, images.SampleShape, null)];
            labels = images.Labels;
            NumClasses = images.NumClasses;
            augment = preprocessing.Augment;
            return;
        }
        using var labelFile = files.OpenLabels?.Invoke();
        try
        {
            var limits = new DatasetLimits();
            var sources = ArraySources.Of(inputs, files.InputsFileName, labelFile, files.LabelsFileName, limits);
            columns = ArrayColumns(sources, graphInputs, options);
            if (sources.Labels is { } labelSource)
            {
                using var stream = labelSource.Open();
                (labels, NumClasses) = DatasetReader.ReadLabels(stream, labelSource.FileName, Samples, files.InputsFileName, limits);
            }
        }
        catch (InvalidDatasetException e)
        {
            Dispose();
            throw new PruningFailedException($"The dataset could not be read: {e.Message}");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Samples => columns[0].Source.Count;

    public int NumClasses { get; }

    public bool HasLabels => labels is not null;

    public bool AugmentsTraining => augment;

    public Batch Rows(long[] rows) => ToDevice(() => SampleReading.Read(columns, [.. rows.Select(r => (int)r)], labels, _ => null));

    public Batch TrainBatch(long index, long[] trainRows, int batchSize, int seed)
    {
        if (loader is null || index != nextIndex)
        {
            loader?.Dispose();
            loader = new BatchLoader(columns, [.. trainRows.Select(r => (int)r)], labels, batchSize, seed, augment, firstBatch: index, Prefetch);
        }
        nextIndex = index + 1;
        return ToDevice(loader.Next);
    }

    /// <summary>
    /// Each array unpacked into its own scratch file, the one that feeds each graph input kept (in the graph's input order;
    /// <see cref="DatasetFit"/> says which, or why none does), the others dropped.
    /// </summary>
    private static SampleColumn[] ArrayColumns(ArraySources sources, IReadOnlyList<GraphTensor> graphInputs, PruningOptions options)
    {
        var arrays = new List<(ArraySource Source, ArrayFileSource Rows)>();
        try
        {
            foreach (var source in sources.Inputs)
            {
                using var stream = source.Open();
                arrays.Add((source, new ArrayFileSource(stream, source.FileName, options.InputScale)));
                if (arrays[^1].Rows.Count != arrays[0].Rows.Count)
                    throw new PruningFailedException($"'{arrays[0].Source.Name}' holds {arrays[0].Rows.Count:N0} samples but '{source.Name}' {arrays[^1].Rows.Count:N0}.");
            }
            var matched = DatasetFit.Match([.. graphInputs.Select(i => new TensorDescription(i.Name, i.Shape, i.ElementTypeName))],
                [.. arrays.Select(a => a.Rows.Describe(a.Source.Name))]);
            foreach (var unused in arrays.Where((_, a) => !matched.Contains(a)))
                unused.Rows.Dispose();
            return [.. graphInputs.Select((input, i) =>
            {
                var rows = arrays[matched[i]].Rows;
                var shape = ModelSampleShape.For([.. rows.Header.Shape[1..]], input.Shape);
                return new SampleColumn(rows, shape, input.IsInteger ? GraphModule.TorchType(input.ElementType) : null);
            })];
        }
        catch (DatasetMismatchException e)
        {
            arrays.ForEach(a => a.Rows.Dispose());
            throw new PruningFailedException(e.Message);
        }
        catch
        {
            arrays.ForEach(a => a.Rows.Dispose());
            throw;
        }
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
        var count = batch.Rows.Length;
        return new Batch([.. columns.Select((column, c) => Tensor(batch.Inputs[c], [count, .. column.Shape], column.IntegerType))],
            batch.Labels is null ? null : tensor(batch.Labels, device: device), tensor(batch.Rows.Select(r => (long)r).ToArray(), device: device));
    }

    private Tensor Tensor(Array values, long[] shape, ScalarType? integerType) => (values, integerType) switch
    {
        (float[] floats, null) => tensor(floats, shape, device: device),
        (long[] longs, ScalarType.Int64) => tensor(longs, shape, device: device),
        (long[] longs, { } type) => tensor(longs, shape, device: device).to_type(type),
        _ => throw new InvalidOperationException($"A batch of {values.GetType().Name} for an input of {integerType?.ToString() ?? "floats"}."),
    };

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
        foreach (var column in columns ?? [])
            column.Source.Dispose();
    }
}
