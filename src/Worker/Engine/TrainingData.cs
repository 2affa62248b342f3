using TorchSharp;
using Shears.Domain.Datasets;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Engine.Graph;
using static TorchSharp.torch;

namespace Shears.Worker.Engine;

/// <summary>
/// A dataset on the device, an array per graph input (matched by name, see <see cref="DatasetFit"/>), each in its
/// input's element type and shape: float inputs scaled once (<c>inputScale</c>, 1/255 for byte data), integer ids and
/// masks as they are. Split into a training and a held-out part by a seeded shuffle, or held out whole (an evaluation
/// set). Batches gather rows by index; nothing copies the whole set.
/// </summary>
public sealed class TrainingData : IDisposable
{
    private readonly Tensor[] inputs;
    private readonly string[] inputNames;
    private readonly Tensor? labels;
    private readonly Tensor trainIndices;
    private readonly Tensor validationIndices;
    private readonly Generator generator;
    private readonly int batchSize;
    private Tensor? epochOrder;
    private long position;

    /// <param name="heldOutWhole">Every row is held out (an evaluation set): no training batches.</param>
    public TrainingData(Dataset dataset, IReadOnlyList<GraphTensor> graphInputs, PruningOptions options, Device device, bool heldOutWhole = false)
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
        inputNames = [.. graphInputs.Select(i => i.Name)];
        inputs = [.. graphInputs.Select((input, i) => ToDevice(dataset.Arrays[matched[i]], input, dataset.Samples, options, device))];
        labels = dataset.Labels is null ? null : tensor(dataset.Labels, device: device).DetachFromDisposeScope();
        NumClasses = dataset.NumClasses;
        Samples = dataset.Samples;

        var order = Enumerable.Range(0, dataset.Samples).Select(i => (long)i).ToArray();
        new Random(options.Seed).Shuffle(order);
        ValidationCount = heldOutWhole ? dataset.Samples
            : options.ValidationFraction > 0 ? Math.Max(1, (int)Math.Round(dataset.Samples * options.ValidationFraction)) : 0;
        TrainCount = dataset.Samples - ValidationCount;
        if (TrainCount < 1 && !heldOutWhole)
            throw new PruningFailedException($"The dataset has {dataset.Samples} samples; with validationFraction {options.ValidationFraction} none are left for training.");
        validationIndices = tensor(order[..ValidationCount], device: device).DetachFromDisposeScope();
        trainIndices = tensor(order[ValidationCount..], device: device).DetachFromDisposeScope();
        generator = new Generator((ulong)options.Seed, device);
        batchSize = Math.Max(1, Math.Min(options.BatchSize, TrainCount));
    }

    public int Samples { get; }

    public int TrainCount { get; }

    public int ValidationCount { get; }

    public int BatchSize => batchSize;

    public bool HasLabels => labels is not null;

    /// <summary>Largest label + 1; 0 without labels.</summary>
    public int NumClasses { get; }

    /// <summary>Full training epochs started so far.</summary>
    public int Epoch { get; private set; }

    /// <summary>Training steps in one epoch (the last, partial batch is dropped).</summary>
    public int StepsPerEpoch => TrainCount / batchSize;

    /// <summary>Training batches handed out so far: with the seed, all it takes to put the shuffling back where it was.</summary>
    public long BatchesDrawn { get; private set; }

    /// <summary>The rows used for training (every row of the dataset but the held-out ones).</summary>
    public Tensor TrainRows => trainIndices;

    /// <summary>The next training batch of a reshuffled pass; call inside the step's dispose scope.</summary>
    public Batch NextTrainBatch() => Rows(NextRows());

    /// <summary>The given rows of the dataset as a batch.</summary>
    public Batch Rows(Tensor rows) => new([.. inputs.Select(x => x.index_select(0, rows))], labels?.index_select(0, rows), rows);

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

    public Batch ValidationBatch((long Start, long Count) range) =>
        Rows((ValidationCount > 0 ? validationIndices : trainIndices).narrow(0, range.Start, range.Count));

    /// <summary>The first <paramref name="count"/> held-out samples, a host array per graph input (for ONNX Runtime checks).</summary>
    public IReadOnlyList<HostTensor> ValidationInputs(int count)
    {
        using var scope = NewDisposeScope();
        var batch = ValidationBatch((0, Math.Min(count, ValidationCount > 0 ? ValidationCount : TrainCount)));
        return [.. batch.Inputs.Select((x, i) => HostTensor.From(inputNames[i], x))];
    }

    public void Dispose()
    {
        foreach (var input in inputs)
            input.Dispose();
        labels?.Dispose();
        trainIndices.Dispose();
        validationIndices.Dispose();
        epochOrder?.Dispose();
        generator.Dispose();
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
}
