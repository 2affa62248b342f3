using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using static TorchSharp.torch;

namespace Shears.Worker.Data;

/// <summary>
/// A job's dataset split into a training and a held-out part by a seeded shuffle, or held out whole (an evaluation set),
/// handed out in batches shaped for the graph's inputs: from tensors held on the device (<see cref="HeldRows"/>: any
/// number of named arrays), or read from the stored files a batch at a time (<see cref="StreamedRows"/>: image archives,
/// large array files, as many inputs).
/// </summary>
public sealed class TrainingData : IDisposable
{
    private readonly IRowFeed feed;
    private readonly string[] inputNames;
    private readonly long[] trainRows;
    private readonly long[] validationRows;
    private readonly int seed;

    /// <param name="heldOutWhole">Every row is held out (an evaluation set): no training batches.</param>
    public TrainingData(JobDataset dataset, IReadOnlyList<GraphTensor> graphInputs, PruningOptions options, Device device, bool heldOutWhole = false)
    {
        feed = dataset switch
        {
            JobDataset.Held held => new HeldRows(held.Dataset, graphInputs, options, device),
            JobDataset.Stored stored => new StreamedRows(stored.Files, graphInputs, options, device),
            _ => throw new ArgumentOutOfRangeException(nameof(dataset)),
        };
        inputNames = [.. graphInputs.Select(i => i.Name)];
        var samples = feed.Samples;
        var order = Enumerable.Range(0, samples).Select(i => (long)i).ToArray();
        new Random(options.Seed).Shuffle(order);
        ValidationCount = heldOutWhole ? samples
            : options.ValidationFraction > 0 ? Math.Max(1, (int)Math.Round(samples * options.ValidationFraction)) : 0;
        TrainCount = samples - ValidationCount;
        if (TrainCount < 1 && !heldOutWhole)
        {
            feed.Dispose();
            throw new PruningFailedException($"The dataset has {samples} samples; with validationFraction {options.ValidationFraction} none are left for training.");
        }
        validationRows = order[..ValidationCount];
        trainRows = order[ValidationCount..];
        seed = options.Seed;
        BatchSize = Math.Max(1, Math.Min(options.BatchSize, TrainCount));
    }

    public int Samples => feed.Samples;

    public int TrainCount { get; }

    public int ValidationCount { get; }

    public int BatchSize { get; }

    public bool HasLabels => feed.HasLabels;

    /// <summary>True when the rows are read from the stored files a batch at a time, false when they are held on the device.</summary>
    public bool IsStreamed => feed is StreamedRows;

    /// <summary>True when training batches are augmented, so a row's network input differs from batch to batch.</summary>
    public bool AugmentsTraining => feed.AugmentsTraining;

    /// <summary>Largest label + 1; 0 without labels.</summary>
    public int NumClasses => feed.NumClasses;

    /// <summary>Full training epochs started so far.</summary>
    public int Epoch => BatchesDrawn == 0 || StepsPerEpoch == 0 ? 0 : (int)((BatchesDrawn - 1) / StepsPerEpoch) + 1;

    /// <summary>Training steps in one epoch (the last, partial batch is dropped).</summary>
    public int StepsPerEpoch => TrainCount / BatchSize;

    /// <summary>Training batches handed out so far: with the seed, all it takes to put the shuffling back where it was.</summary>
    public long BatchesDrawn { get; private set; }

    /// <summary>The rows used for training (every row of the dataset but the held-out ones).</summary>
    public IReadOnlyList<long> TrainRows => trainRows;

    /// <summary>The next training batch of a reshuffled pass; call inside the step's dispose scope.</summary>
    public Batch NextTrainBatch() => feed.TrainBatch(BatchesDrawn++, trainRows, BatchSize, seed);

    /// <summary>The given rows of the dataset as a batch, never augmented; call inside a dispose scope.</summary>
    public Batch Rows(long[] rows) => feed.Rows(rows);

    /// <summary>Moves on as if <paramref name="count"/> batches had been drawn (same shuffles), without gathering them.</summary>
    public void SkipBatches(long count) => BatchesDrawn += count;

    /// <summary>Held-out batches (call each inside its own dispose scope); falls back to the training part when nothing is held out.</summary>
    public IEnumerable<(long Start, long Count)> ValidationRanges(int size)
    {
        var total = HeldOut.Length;
        for (long start = 0; start < total; start += size)
            yield return (start, Math.Min(size, total - start));
    }

    public Batch ValidationBatch((long Start, long Count) range) =>
        feed.Rows(HeldOut[(int)range.Start..(int)(range.Start + range.Count)]);

    /// <summary>The first <paramref name="count"/> held-out samples, a host array per graph input (for ONNX Runtime checks).</summary>
    public IReadOnlyList<HostTensor> ValidationInputs(int count)
    {
        using var scope = NewDisposeScope();
        var batch = ValidationBatch((0, Math.Min(count, HeldOut.Length)));
        return [.. batch.Inputs.Select((x, i) => HostTensor.From(inputNames[i], x))];
    }

    private long[] HeldOut => ValidationCount > 0 ? validationRows : trainRows;

    public void Dispose() => feed.Dispose();
}
