namespace Shears.Worker.Data;

/// <summary>Where <see cref="TrainingData"/> gets its rows from: tensors held on the device, or files read a batch at a time.</summary>
public interface IRowFeed : IDisposable
{
    int Samples { get; }

    /// <summary>Largest label + 1; 0 without labels.</summary>
    int NumClasses { get; }

    bool HasLabels { get; }

    /// <summary>True when training batches are augmented: a row's pixels then differ from batch to batch (image archives).</summary>
    bool AugmentsTraining { get; }

    /// <summary>The given rows, as the network takes them and never augmented (evaluation); call inside a dispose scope.</summary>
    Batch Rows(long[] rows);

    /// <summary>
    /// Batch <paramref name="index"/> (0-based, over the whole run) of seeded per-epoch shuffles of <paramref name="trainRows"/>;
    /// asked for in order, except that the first index asked may be later than 0 (a resumed run). Call inside a dispose scope.
    /// </summary>
    Batch TrainBatch(long index, long[] trainRows, int batchSize, int seed);
}
