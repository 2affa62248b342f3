using Shears.Domain.Datasets;
using Shears.Domain.Jobs;
using TorchSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Engine;

/// <summary>
/// A dataset held on the device, scaled and shaped for the model once; batches gather rows by index, and each epoch's
/// order is a permutation drawn from a generator seeded with the job's seed.
/// </summary>
public sealed class HeldRows : IRowFeed
{
    private readonly Tensor inputs;
    private readonly Tensor labels;
    private readonly Device device;
    private Generator? generator;
    private Tensor? trainIndices;
    private Tensor? epochOrder;
    private long position;
    private long drawn;

    public HeldRows(Dataset dataset, IReadOnlyList<long> modelInputShape, PruningOptions options, Device device)
    {
        this.device = device;
        var scale = (float)(options.InputScale ?? (dataset.IsByteData ? 1.0 / 255.0 : 1.0));
        long[] shape = [dataset.Samples, .. ModelSampleShape.For(dataset.SampleShape, modelInputShape)];
        inputs = tensor(dataset.Inputs, shape, device: device).DetachFromDisposeScope();
        if (scale != 1f)
        {
            using var factor = scale.ToScalar();
            inputs.mul_(factor);
        }
        labels = tensor(dataset.Labels, device: device).DetachFromDisposeScope();
        Samples = dataset.Samples;
        NumClasses = dataset.NumClasses;
    }

    public int Samples { get; }

    public int NumClasses { get; }

    public (Tensor X, Tensor Y) Rows(long[] rows)
    {
        using var indices = tensor(rows, device: device);
        return Gather(indices);
    }

    public (Tensor X, Tensor Y) TrainBatch(long index, long[] trainRows, int batchSize, int seed)
    {
        generator ??= new Generator((ulong)seed, device);
        trainIndices ??= tensor(trainRows, device: device).DetachFromDisposeScope();
        while (drawn < index)
            NextRows(batchSize).Dispose(); // the shuffles a resumed run's predecessor drew
        return Gather(NextRows(batchSize));
    }

    private (Tensor X, Tensor Y) Gather(Tensor rows) => (inputs.index_select(0, rows), labels.index_select(0, rows));

    private Tensor NextRows(int batchSize)
    {
        if (epochOrder is null || position + batchSize > trainIndices!.shape[0])
        {
            epochOrder?.Dispose();
            using (var permutation = randperm(trainIndices!.shape[0], generator: generator, device: device))
                epochOrder = trainIndices.index_select(0, permutation).DetachFromDisposeScope();
            position = 0;
        }
        var rows = epochOrder.narrow(0, position, batchSize);
        position += batchSize;
        drawn++;
        return rows;
    }

    public void Dispose()
    {
        inputs.Dispose();
        labels.Dispose();
        trainIndices?.Dispose();
        epochOrder?.Dispose();
        generator?.Dispose();
    }
}
