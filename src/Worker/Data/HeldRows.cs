using Shears.Domain.Datasets;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Data;

/// <summary>
/// A dataset held on the device, an array per graph input (matched by name, see <see cref="DatasetFit"/>), each in its
/// input's element type and shape: float inputs scaled once (<c>inputScale</c>, 1/255 for byte data), integer ids and
/// masks as they are. Batches gather rows by index, and each epoch's order is a permutation drawn from a generator
/// seeded with the job's seed; nothing copies the whole set.
/// </summary>
public sealed class HeldRows : IRowFeed
{
    private readonly Tensor[] inputs;
    private readonly Tensor? labels;
    private readonly Device device;
    private Generator? generator;
    private Tensor? trainIndices;
    private Tensor? epochOrder;
    private long position;
    private long drawn;

    public HeldRows(Dataset dataset, IReadOnlyList<GraphTensor> graphInputs, PruningOptions options, Device device)
    {
        int[] matched;
        try
        {
            matched = DatasetFit.Match([.. graphInputs.Select(i => new TensorDescription(i.Name, i.Shape, i.ElementTypeName))],
                [.. dataset.Arrays.Select(a => a.Describe())]);
        }
        catch (DatasetMismatchException e)
        {
            throw new PruningFailedException(e.Message);
        }
        this.device = device;
        inputs = [.. graphInputs.Select((input, i) => ToDevice(dataset.Arrays[matched[i]], input, dataset.Samples, options, device))];
        labels = dataset.Labels is null ? null : tensor(dataset.Labels, device: device).DetachFromDisposeScope();
        Samples = dataset.Samples;
        NumClasses = dataset.NumClasses;
    }

    public int Samples { get; }

    public int NumClasses { get; }

    public bool HasLabels => labels is not null;

    public bool AugmentsTraining => false;

    public Batch Rows(long[] rows) => Gather(tensor(rows, device: device));

    public Batch TrainBatch(long index, long[] trainRows, int batchSize, int seed)
    {
        generator ??= new Generator((ulong)seed, device);
        trainIndices ??= tensor(trainRows, device: device).DetachFromDisposeScope();
        while (drawn < index)
            NextRows(batchSize).Dispose(); // the shuffles a resumed run's predecessor drew
        return Gather(NextRows(batchSize));
    }

    private Batch Gather(Tensor rows) => new([.. inputs.Select(x => x.index_select(0, rows))], labels?.index_select(0, rows), rows);

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

    /// <summary>The array as the input's tensor: its element type, and the input's sample shape when that is fixed.</summary>
    private static Tensor ToDevice(DatasetArray array, GraphTensor input, int samples, PruningOptions options, Device device)
    {
        var inputSample = input.Shape.Skip(1).ToArray();
        long[] shape = [samples, .. inputSample.Length > 0 && inputSample.All(d => d > 0) ? inputSample : array.SampleShape.Select(d => (long)d)];
        using var scope = NewDisposeScope();
        if (input.IsInteger)
        {
            var ids = array.Integers is { } integers ? tensor(integers, shape, device: device) : tensor(array.Floats!, shape, device: device).to_type(ScalarType.Int64);
            return ids.to_type(GraphModule.TorchType(input.ElementType)).DetachFromDisposeScope();
        }
        var values = array.Floats is { } floats ? tensor(floats, shape, device: device) : tensor(array.Integers!, shape, device: device).to_type(ScalarType.Float32);
        var scale = (float)(options.InputScale ?? (array.IsByteData ? 1.0 / 255.0 : 1.0));
        if (scale != 1f)
        {
            using var factor = scale.ToScalar();
            values.mul_(factor);
        }
        return values.DetachFromDisposeScope();
    }

    public void Dispose()
    {
        foreach (var input in inputs)
            input.Dispose();
        labels?.Dispose();
        trainIndices?.Dispose();
        epochOrder?.Dispose();
        generator?.Dispose();
    }
}
