using Shears.Domain.Jobs;
using Shears.Worker.Data;
using static TorchSharp.torch;

namespace Shears.Worker.Engine;

/// <summary>
/// A job's dataset split into a training and a held-out part by a seeded shuffle, handed out in batches shaped for the
/// model: from tensors held on the device (<see cref="HeldRows"/>), or read from the stored files a batch at a time
/// (<see cref="StreamedRows"/>: image archives, large array files).
/// </summary>
public sealed class TrainingData : IDisposable
{
    private readonly IRowFeed feed;
    private readonly long[] trainRows;
    private readonly long[] validationRows;
    private readonly int seed;

    public TrainingData(JobDataset dataset, IReadOnlyList<long> modelInputShape, PruningOptions options, Device device)
    {
        feed = dataset switch
        {
            JobDataset.Held held => new HeldRows(held.Dataset, modelInputShape, options, device),
            JobDataset.Stored stored => new StreamedRows(stored.Files, modelInputShape, options, device),
            _ => throw new ArgumentOutOfRangeException(nameof(dataset)),
        };
        var samples = feed.Samples;
        var order = Enumerable.Range(0, samples).Select(i => (long)i).ToArray();
        new Random(options.Seed).Shuffle(order);
        ValidationCount = options.ValidationFraction > 0 ? Math.Max(1, (int)Math.Round(samples * options.ValidationFraction)) : 0;
        TrainCount = samples - ValidationCount;
        if (TrainCount < 1)
        {
            feed.Dispose();
            throw new PruningFailedException($"The dataset has {samples} samples; with validationFraction {options.ValidationFraction} none are left for training.");
        }
        validationRows = order[..ValidationCount];
        trainRows = order[ValidationCount..];
        seed = options.Seed;
        BatchSize = Math.Min(options.BatchSize, TrainCount);
    }

    public int TrainCount { get; }

    public int ValidationCount { get; }

    public int BatchSize { get; }

    /// <summary>Class count (largest label + 1).</summary>
    public int NumClasses => feed.NumClasses;

    /// <summary>Full training epochs started so far.</summary>
    public int Epoch => BatchesDrawn == 0 ? 0 : (int)((BatchesDrawn - 1) / StepsPerEpoch) + 1;

    /// <summary>Training steps in one epoch (the last, partial batch is dropped).</summary>
    public int StepsPerEpoch => TrainCount / BatchSize;

    /// <summary>Training batches handed out so far: with the seed, all it takes to put the shuffling back where it was.</summary>
    public long BatchesDrawn { get; private set; }

    /// <summary>The next training batch of a reshuffled pass; call inside the step's dispose scope.</summary>
    public (Tensor X, Tensor Y) NextTrainBatch() => feed.TrainBatch(BatchesDrawn++, trainRows, BatchSize, seed);

    /// <summary>Moves on as if <paramref name="count"/> batches had been drawn (same shuffles), without gathering them.</summary>
    public void SkipBatches(long count) => BatchesDrawn += count;

    /// <summary>Held-out batches (call each inside its own dispose scope); falls back to the training part when nothing is held out.</summary>
    public IEnumerable<(long Start, long Count)> ValidationRanges(int size)
    {
        var total = HeldOut.Length;
        for (long start = 0; start < total; start += size)
            yield return (start, Math.Min(size, total - start));
    }

    public (Tensor X, Tensor Y) ValidationBatch((long Start, long Count) range) =>
        feed.Rows(HeldOut[(int)range.Start..(int)(range.Start + range.Count)]);

    /// <summary>The first <paramref name="count"/> held-out inputs as a row-major array (for ONNX Runtime checks).</summary>
    public float[] ValidationInputs(int count, out long[] shape)
    {
        using var scope = NewDisposeScope();
        var (x, _) = ValidationBatch((0, Math.Min(count, HeldOut.Length)));
        shape = x.shape;
        return x.cpu().contiguous().data<float>().ToArray();
    }

    private long[] HeldOut => ValidationCount > 0 ? validationRows : trainRows;

    public void Dispose() => feed.Dispose();
}
