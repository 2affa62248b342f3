using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine.Graph;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Training;

/// <summary>
/// The original network's outputs, the teacher of distillation: frozen, in evaluation mode, on the worker's device, seeing
/// the very batch the student trains on. When a row's input is the same in every batch (no augmentation) they are recorded
/// once per row before training starts (a distillation step then costs what a plain step does); when training batches are
/// augmented (a random crop and flip of each image, different every epoch), or recording would take more than
/// <see cref="MaxRecordedBytes"/>, a frozen copy of the original network runs on every batch instead. Also the variance of
/// every output over the training rows, which scales that output's squared error so that outputs of different scales weigh alike.
/// A teacher for the figures alone (<see cref="ForFigures"/>) records nothing: it runs on the held-out batches it is asked
/// about, so a large dataset read a batch at a time is not read whole for it.
/// </summary>
public sealed class TeacherOutputs : IDisposable
{
    /// <summary>Recorded outputs of all rows together may take this much device memory.</summary>
    public const long MaxRecordedBytes = 512L << 20;

    private const int ChunkRows = 500;

    private readonly Tensor[]? recorded;
    private readonly GraphModule? frozen;
    private readonly TrainingData? trainingRows;
    private double[]? variances;

    /// <summary>The teacher that distillation trains against, on <paramref name="data"/>'s training batches.</summary>
    /// <param name="original">The network before any training or pruning (its gates all open).</param>
    /// <param name="maxRecordedBytes">Largest recording; 0 runs the original on every batch (the benchmark's other side).</param>
    public TeacherOutputs(GraphModule original, TrainingData data, long maxRecordedBytes = MaxRecordedBytes)
    {
        var perRow = original.Graph.Outputs.Sum(o => SampleElements(original, o.Name));
        if (!data.AugmentsTraining && (long)data.Samples * perRow * sizeof(float) <= maxRecordedBytes)
            recorded = Record(original, data);
        else
            frozen = Frozen(original);
        trainingRows = data;
    }

    private TeacherOutputs(GraphModule original) => frozen = Frozen(original);

    /// <summary>The original network for the agreement figures only: run on each held-out batch, no variances.</summary>
    public static TeacherOutputs ForFigures(GraphModule original) => new(original);

    /// <summary>
    /// Per graph output, the variance of its values over the training rows (1 where the output is constant); empty for
    /// <see cref="ForFigures"/>. Measured when first asked for: only squared-error outputs need it, and without a recording
    /// it reads every training row once more (a classifier distilled on augmented images never asks).
    /// </summary>
    public double[] Variances => variances ??= trainingRows is null ? [] : OutputVariances(trainingRows);

    /// <summary>True when the outputs were recorded per row; false when the original network runs on every batch.</summary>
    public bool Recorded => recorded is not null;

    /// <summary>
    /// The teacher's outputs for the batch, in the graph's output order; call inside the step's dispose scope. They never
    /// require a gradient: the frozen network runs in inference mode (no autograd graph, no version counters), so its
    /// kernels take their inference paths (max pooling without indices, see ConvolutionKernels).
    /// </summary>
    public Tensor[] For(Batch batch)
    {
        if (recorded is not null)
            return [.. recorded.Select(r => r.index_select(0, batch.Rows))];
        using var inference = inference_mode();
        return frozen!.Run(batch.Inputs);
    }

    private static GraphModule Frozen(GraphModule original)
    {
        var copy = new GraphModule(original.Graph, original.Device);
        foreach (var parameter in copy.Parameters.Values)
            parameter.requires_grad = false;
        copy.load_state_dict(original.state_dict());
        copy.eval();
        return copy;
    }

    private static long SampleElements(GraphModule module, string output) =>
        module.ProbedShape(output).Skip(1).Aggregate(1L, (a, b) => a * b);

    private static Tensor[] Record(GraphModule original, TrainingData data)
    {
        var wasTraining = original.training;
        original.eval();
        var chunks = original.Graph.Outputs.Select(_ => new List<Tensor>()).ToArray();
        using (no_grad())
            for (long start = 0; start < data.Samples; start += ChunkRows)
            {
                using var scope = NewDisposeScope();
                var outputs = original.Run(data.Rows(Range(start, Math.Min(start + ChunkRows, data.Samples))).Inputs);
                for (var o = 0; o < outputs.Length; o++)
                    chunks[o].Add(outputs[o].detach().DetachFromDisposeScope());
            }
        original.train(wasTraining);
        return [.. chunks.Select(parts =>
        {
            var all = cat(parts, 0).DetachFromDisposeScope();
            parts.ForEach(p => p.Dispose());
            return all;
        })];
    }

    private double[] OutputVariances(TrainingData data)
    {
        var count = Math.Max(1, data.TrainCount > 0 ? data.TrainCount : data.Samples);
        var sums = new double[recorded?.Length ?? frozen!.Graph.Outputs.Count];
        var squares = new double[sums.Length];
        long elements = 0;
        using (no_grad())
            for (long start = 0; start < count; start += ChunkRows)
            {
                using var scope = NewDisposeScope();
                var rows = data.TrainCount > 0 ? [.. Enumerable.Range((int)start, (int)Math.Min(ChunkRows, count - start)).Select(i => data.TrainRows[i])]
                    : Range(start, Math.Min(start + ChunkRows, count));
                var outputs = recorded is null ? For(data.Rows(rows)) : RecordedFor(rows); // recorded: no second read of the rows
                for (var o = 0; o < outputs.Length; o++)
                {
                    var values = outputs[o].to_type(ScalarType.Float64);
                    sums[o] += values.sum().item<double>();
                    squares[o] += values.square().sum().item<double>();
                }
                elements += rows.Length;
            }
        return [.. sums.Select((sum, o) =>
        {
            var n = (double)elements * (recorded?[o].shape.Skip(1).Aggregate(1L, (a, b) => a * b) ?? SampleElements(frozen!, frozen!.Graph.Outputs[o].Name));
            var mean = sum / n;
            var variance = squares[o] / n - mean * mean;
            return variance > 1e-12 ? variance : 1.0;
        })];
    }

    private Tensor[] RecordedFor(long[] rows)
    {
        using var indices = tensor(rows, device: recorded![0].device);
        return [.. recorded.Select(r => r.index_select(0, indices))];
    }

    private static long[] Range(long start, long end) => [.. Enumerable.Range(0, (int)(end - start)).Select(i => start + i)];

    public void Dispose()
    {
        if (recorded is not null)
            foreach (var r in recorded)
                r.Dispose();
        frozen?.Dispose();
    }
}
