using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Training;

/// <summary>
/// What every method trains against (job option <c>objective</c>), as a mean over the batch's examples, so that Fisher's
/// per-example Δ, L0's loss + penalty and every fine-tuning use the same loss.
/// <list type="bullet">
/// <item><c>labels</c>: cross-entropy of the class output (the one [N, C] output) on the dataset's labels.</item>
/// <item><c>distill</c>: match the original network (<see cref="TeacherOutputs"/>), per graph output: for [N, C] outputs
/// the KL divergence of the teacher's from the student's distribution, both softened by the temperature T
/// (<c>distillTemperature</c>) and scaled by T² (Hinton et al. 2015), so gradients keep their size whatever T is; for
/// every other output the squared error divided by the teacher output's variance over the training rows. Outputs are
/// summed with <c>outputWeights</c> (1 each by default).</item>
/// <item><c>both</c>: (1 − w)·labels + w·distill with w = <c>distillWeight</c>.</item>
/// </list>
/// Without a choice: <c>both</c> when the dataset has labels and the network has a class output, else <c>distill</c>.
/// </summary>
public sealed class Objective : IDisposable
{
    public const string Labels = "labels", Distill = "distill", Both = "both";

    private readonly Func<Tensor, Tensor, Tensor>? crossEntropy;
    private readonly int classOutput;
    private readonly TeacherOutputs? teacher;
    private readonly Func<Tensor, Tensor, Tensor>[] distillTerms = [];
    private readonly List<Scalar> held = [];
    private readonly Scalar? labelsShare;
    private readonly Scalar? distillShare;

    /// <param name="maxRecordedBytes">How much of the teacher's outputs may be recorded (see <see cref="TeacherOutputs"/>).</param>
    public Objective(GraphModule module, TrainingData data, PruningOptions options, long maxRecordedBytes = TeacherOutputs.MaxRecordedBytes)
    {
        var graph = module.Graph;
        Kind = Resolve(options, graph, data.HasLabels);
        classOutput = ClassOutput(module) ?? -1;
        if (Kind != Distill)
            crossEntropy = Trainer.LossFor(module.OutputOp(classOutput));
        if (Kind == Labels)
            return;

        teacher = new TeacherOutputs(module, data, maxRecordedBytes);
        var weights = graph.Outputs.Select(o => options.OutputWeights?.GetValueOrDefault(o.Name, 1.0) ?? 1.0).ToArray();
        distillTerms = [.. graph.Outputs.Select((o, i) => module.OutputKinds[i] == OutputKind.Classes
            ? SoftenedKl(module.OutputOp(i), options.DistillTemperature, weights[i])
            : ScaledSquaredError(weights[i] / teacher.Variances[i]))];
        if (Kind == Both)
        {
            labelsShare = Hold(1 - options.DistillWeight);
            distillShare = Hold(options.DistillWeight);
        }
    }

    /// <summary>Cross-entropy on the labels alone, for training outside a job (no dataset to record a teacher on).</summary>
    public static Objective LabelsOnly(GraphModule module) => new(module);

    private Objective(GraphModule module)
    {
        Kind = Labels;
        classOutput = ClassOutput(module) ?? throw new ArgumentException("The network has no single [N, C] class output.", nameof(module));
        crossEntropy = Trainer.LossFor(module.OutputOp(classOutput));
    }

    /// <summary><see cref="Labels"/>, <see cref="Distill"/> or <see cref="Both"/>.</summary>
    public string Kind { get; }

    /// <summary>The original network's outputs, when the objective distils.</summary>
    public TeacherOutputs? Teacher => teacher;

    /// <summary>The objective a job with <paramref name="options"/> trains on; throws when it asks for labels the data does not have.</summary>
    public static string Resolve(PruningOptions options, OnnxGraph graph, bool hasLabels)
    {
        var classOutput = OutputKinds.ClassOutput(graph, options.OutputKinds);
        if (options.Objective is null)
            return hasLabels && classOutput is not null ? Both : Distill;
        if (options.Objective != Distill && !hasLabels)
            throw new PruningFailedException($"objective '{options.Objective}' trains on labels, but the dataset has none; upload labels or use objective 'distill'.");
        if (options.Objective != Distill && classOutput is null)
            throw new PruningFailedException($"objective '{options.Objective}' needs one class-score output of shape [N, C]; the network's outputs are " +
                $"{string.Join(", ", graph.Outputs.Select(o => $"{o.Name} {ShapeText(graph.Shapes[o.Name])}"))}. Use objective 'distill', or say which output holds class scores with options.outputKinds.");
        return options.Objective;
    }

    /// <summary>The index of the network's one class-score output (<see cref="GraphModule.OutputKinds"/>), or null when there is not exactly one.</summary>
    public static int? ClassOutput(GraphModule module) => OutputKinds.ClassOutput(module.OutputKinds);

    /// <summary>The mean loss of the batch given the network's outputs for it.</summary>
    public Tensor Loss(Tensor[] outputs, Batch batch)
    {
        var labels = crossEntropy is null ? null : crossEntropy(outputs[classOutput], batch.Labels!);
        if (Kind == Labels)
            return labels!;
        var targets = teacher!.For(batch);
        Tensor? distill = null;
        for (var o = 0; o < outputs.Length; o++)
        {
            var term = distillTerms[o](outputs[o], targets[o]);
            distill = distill is null ? term : distill.add(term, LiveScalars.One);
        }
        return Kind == Distill ? distill! : labels!.mul(labelsShare!).add(distill!.mul(distillShare!), LiveScalars.One);
    }

    /// <summary>T²·KL(softmax(t/T) ‖ softmax(s/T)), averaged over the batch, on logits (outputs that are already (log-)probabilities are logged first).</summary>
    private Func<Tensor, Tensor, Tensor> SoftenedKl(string outputOp, double temperature, double weight)
    {
        var inverseTemperature = Hold(1 / temperature);
        var scale = Hold(weight * temperature * temperature);
        var smallest = Hold(1e-12);
        Func<Tensor, Tensor> logits = outputOp switch
        {
            "Softmax" => p => p.clamp_min(smallest).log(),
            _ => x => x,
        };
        return (student, target) =>
        {
            var logStudent = nn.functional.log_softmax(logits(student).mul(inverseTemperature), 1);
            var logTeacher = nn.functional.log_softmax(logits(target).mul(inverseTemperature), 1);
            return logTeacher.exp().mul(logTeacher.sub(logStudent)).sum(1).mean().mul(scale);
        };
    }

    /// <summary>Mean squared error times <paramref name="factor"/> (the output's weight over the teacher's variance).</summary>
    private Func<Tensor, Tensor, Tensor> ScaledSquaredError(double factor)
    {
        var scale = Hold(factor);
        return (student, target) => student.sub(target).square().mean().mul(scale);
    }

    private Scalar Hold(double value)
    {
        var scalar = value.ToScalar();
        held.Add(scalar);
        return scalar;
    }

    private static string ShapeText(long[] shape) => $"[{string.Join(", ", shape.Select(d => d < 0 ? "N" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";

    public void Dispose()
    {
        teacher?.Dispose();
        held.ForEach(s => s.Dispose());
    }
}
