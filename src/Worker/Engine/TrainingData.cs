using TorchSharp;
using Shears.Domain.Datasets;
using Shears.Domain.Jobs;
using static TorchSharp.torch;

namespace Shears.Worker.Engine;

/// <summary>
/// A dataset on the device, scaled and shaped for the model once, split into a training and a
/// held-out part by a seeded shuffle. Batches gather rows by index; nothing copies the whole set.
/// </summary>
public sealed class TrainingData : IDisposable
{
    private readonly Tensor inputs;
    private readonly Tensor labels;
    private readonly Tensor trainIndices;
    private readonly Tensor validationIndices;
    private readonly Generator generator;
    private readonly int batchSize;
    private Tensor? epochOrder;
    private long position;

    public TrainingData(Dataset dataset, IReadOnlyList<long> modelInputShape, PruningOptions options, Device device)
    {
        var sampleShape = SampleShape(dataset, modelInputShape);
        var scale = (float)(options.InputScale ?? (dataset.IsByteData ? 1.0 / 255.0 : 1.0));
        long[] shape = [dataset.Samples, .. sampleShape];
        inputs = tensor(dataset.Inputs, shape, device: device).DetachFromDisposeScope();
        if (scale != 1f)
        {
            using var factor = scale.ToScalar();
            inputs.mul_(factor);
        }
        labels = tensor(dataset.Labels, device: device).DetachFromDisposeScope();

        var order = Enumerable.Range(0, dataset.Samples).Select(i => (long)i).ToArray();
        new Random(options.Seed).Shuffle(order);
        ValidationCount = options.ValidationFraction > 0 ? Math.Max(1, (int)Math.Round(dataset.Samples * options.ValidationFraction)) : 0;
        TrainCount = dataset.Samples - ValidationCount;
        if (TrainCount < 1)
            throw new PruningFailedException($"The dataset has {dataset.Samples} samples; with validationFraction {options.ValidationFraction} none are left for training.");
        validationIndices = tensor(order[..ValidationCount], device: device).DetachFromDisposeScope();
        trainIndices = tensor(order[ValidationCount..], device: device).DetachFromDisposeScope();
        generator = new Generator((ulong)options.Seed, device);
        batchSize = Math.Min(options.BatchSize, TrainCount);
    }

    public int TrainCount { get; }

    public int ValidationCount { get; }

    public int BatchSize => batchSize;

    /// <summary>Full training epochs started so far.</summary>
    public int Epoch { get; private set; }

    /// <summary>Training steps in one epoch (the last, partial batch is dropped).</summary>
    public int StepsPerEpoch => TrainCount / batchSize;

    /// <summary>Training batches handed out so far: with the seed, all it takes to put the shuffling back where it was.</summary>
    public long BatchesDrawn { get; private set; }

    /// <summary>The next training batch of a reshuffled pass; call inside the step's dispose scope.</summary>
    public (Tensor X, Tensor Y) NextTrainBatch()
    {
        var rows = NextRows();
        return (inputs.index_select(0, rows), labels.index_select(0, rows));
    }

    /// <summary>Moves on as if <paramref name="count"/> batches had been drawn (same shuffles), without gathering them.</summary>
    public void SkipBatches(long count)
    {
        for (var i = 0; i < count; i++)
            NextRows().Dispose();
    }

    private Tensor NextRows()
    {
        if (epochOrder is null || position + batchSize > TrainCount)
        {
            epochOrder?.Dispose();
            using (var permutation = randperm(TrainCount, generator: generator, device: trainIndices.device))
                epochOrder = trainIndices.index_select(0, permutation).DetachFromDisposeScope();
            position = 0;
            Epoch++;
        }
        var rows = epochOrder.narrow(0, position, batchSize);
        position += batchSize;
        BatchesDrawn++;
        return rows;
    }

    /// <summary>Held-out batches (call each inside its own dispose scope); falls back to the training part when nothing is held out.</summary>
    public IEnumerable<(long Start, long Count)> ValidationRanges(int size)
    {
        var total = ValidationCount > 0 ? ValidationCount : TrainCount;
        for (long start = 0; start < total; start += size)
            yield return (start, Math.Min(size, total - start));
    }

    public (Tensor X, Tensor Y) ValidationBatch((long Start, long Count) range)
    {
        var rows = (ValidationCount > 0 ? validationIndices : trainIndices).narrow(0, range.Start, range.Count);
        return (inputs.index_select(0, rows), labels.index_select(0, rows));
    }

    /// <summary>The first <paramref name="count"/> held-out inputs as a row-major array (for ONNX Runtime checks).</summary>
    public float[] ValidationInputs(int count, out long[] shape)
    {
        using var scope = NewDisposeScope();
        var (x, _) = ValidationBatch((0, Math.Min(count, ValidationCount > 0 ? ValidationCount : TrainCount)));
        shape = x.shape;
        return x.cpu().contiguous().data<float>().ToArray();
    }

    public void Dispose()
    {
        inputs.Dispose();
        labels.Dispose();
        trainIndices.Dispose();
        validationIndices.Dispose();
        epochOrder?.Dispose();
        generator.Dispose();
    }

    /// <summary>The model's per-sample shape when the element counts agree, else a clear refusal.</summary>
    private static long[] SampleShape(Dataset dataset, IReadOnlyList<long> modelInputShape)
    {
        var modelSample = modelInputShape.Skip(1).ToArray();
        if (modelSample.Length == 0 || modelSample.Any(d => d < 0))
            return [.. dataset.SampleShape.Select(d => (long)d)];
        var modelSize = modelSample.Aggregate(1L, (a, b) => a * b);
        if (modelSize != dataset.SampleSize)
            throw new PruningFailedException($"The model takes samples of shape [{string.Join(", ", modelSample)}] ({modelSize} values) but the dataset's have [{string.Join(", ", dataset.SampleShape)}] ({dataset.SampleSize}).");
        return modelSample;
    }
}
