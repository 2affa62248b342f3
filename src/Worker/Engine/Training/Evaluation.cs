using Shears.Domain.Graph;
using Shears.Worker.Data;
using Shears.Worker.Engine.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Training;

/// <summary>Figures on the held-out rows, in evaluation mode, one dispose scope per batch.</summary>
public static class Evaluation
{
    private const int BatchRows = 500;

    /// <summary>Top-1 accuracy of the class output on the held-out labels; null when the data has no labels (or the network no class output).</summary>
    public static double? Accuracy(GraphModule module, TrainingData data) =>
        HasAccuracy(module, data) ? Measure(module, data, teacher: null).Accuracy : null;

    /// <summary>True when the data has labels and the network one class output, so that accuracy can be measured.</summary>
    public static bool HasAccuracy(GraphModule module, TrainingData data) => data.HasLabels && Objective.ClassOutput(module) is not null;

    /// <summary>
    /// With labels, top-1 accuracy (and top-5 with more than 10 classes); with <paramref name="teacher"/> (the original
    /// network's outputs for <paramref name="data"/>'s rows), the agreement of every output with the original's.
    /// </summary>
    public static NetworkFigures Measure(GraphModule module, TrainingData data, TeacherOutputs? teacher)
    {
        var wasTraining = module.training;
        module.eval();
        var classOutput = data.HasLabels ? Objective.ClassOutput(module) : null;
        var outputs = module.Graph.Outputs;
        long correct = 0, correctTop5 = 0, total = 0;
        var agreeing = new long[outputs.Count];
        var errorSquares = new double[outputs.Count];
        var teacherSquares = new double[outputs.Count];
        var cosines = new double[outputs.Count];
        using (no_grad())
            foreach (var range in data.ValidationRanges(BatchRows))
            {
                using var scope = NewDisposeScope();
                var batch = data.ValidationBatch(range);
                var predicted = module.Run(batch.Inputs);
                if (classOutput is { } c)
                {
                    var scores = predicted[c];
                    correct += scores.argmax(1).eq(batch.Labels!).sum().item<long>();
                    if (data.NumClasses > 10 && scores.shape[1] >= 5)
                        correctTop5 += scores.topk(5, 1).indexes.eq(batch.Labels!.unsqueeze(1)).any(1).sum().item<long>();
                }
                if (teacher is not null)
                {
                    var targets = teacher.For(batch);
                    for (var o = 0; o < outputs.Count; o++)
                    {
                        var (s, t) = (predicted[o].to_type(ScalarType.Float64), targets[o].to_type(ScalarType.Float64));
                        if (module.OutputKinds[o] == OutputKind.Classes)
                            agreeing[o] += s.argmax(1).eq(t.argmax(1)).sum().item<long>();
                        errorSquares[o] += s.sub(t).square().sum().item<double>();
                        teacherSquares[o] += t.square().sum().item<double>();
                        cosines[o] += nn.functional.cosine_similarity(s.reshape(s.shape[0], -1), t.reshape(t.shape[0], -1), 1).sum().item<double>();
                    }
                }
                total += range.Count;
            }
        module.train(wasTraining);

        var n = Math.Max(1, total);
        var agreement = teacher is null ? [] : outputs.Select((o, i) => new OutputAgreement(o.Name,
            module.OutputKinds[i] == OutputKind.Classes ? (double)agreeing[i] / n : null,
            Math.Sqrt(errorSquares[i] / Math.Max(teacherSquares[i], 1e-300)),
            cosines[i] / n)).ToList();
        return new NetworkFigures(
            classOutput is null ? null : (double)correct / n,
            classOutput is not null && data.NumClasses > 10 ? (double)correctTop5 / n : null,
            agreement);
    }
}

/// <summary>Held-out figures of a network: accuracy when there are labels, agreement with the original network per output.</summary>
public sealed record NetworkFigures(double? Accuracy, double? Top5Accuracy, IReadOnlyList<OutputAgreement> Agreement);

/// <summary>
/// How closely one output follows the original network's on the held-out rows: top-1 agreement for [N, C] outputs, the
/// relative error ‖s − t‖/‖t‖ over all values, and the cosine similarity of student and teacher per example, averaged.
/// </summary>
public sealed record OutputAgreement(string Output, double? Top1Agreement, double RelativeError, double Cosine);
