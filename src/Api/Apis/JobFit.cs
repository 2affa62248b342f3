using System.Text.Json;
using Shears.Api.Contracts;
using Shears.Domain.Datasets;
using Shears.Domain.Datasets.Images;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Persistence;

namespace Shears.Api.Apis;

/// <summary>
/// Whether a job can run before it is queued: every network input is fed by a dataset array of a fitting type and
/// shape (<see cref="DatasetFit"/>; an image archive's images are resized for its one image input), in the training and the evaluation dataset alike; an objective on labels has labels
/// and one class-score output with enough classes; <c>outputWeights</c> name outputs the network has; an
/// <c>accuracyDrop</c> budget has labels and a class output to measure accuracy with.
/// </summary>
public static class JobFit
{
    /// <summary>What does not fit, in words that name the input, dataset or option; null when the job can run.</summary>
    public static string? Problem(StoredModel model, StoredDataset dataset, StoredDataset? evalDataset, PruningTarget target, PruningOptions options)
    {
        var inspection = JsonSerializer.Deserialize<ModelInspection>(model.InspectionJson, JobEventLog.Json);
        if (inspection is null)
            return null;
        foreach (var (name, data) in new[] { ("dataset", dataset), ("evalDataset", evalDataset) })
        {
            if (data is null)
                continue;
            if (data.IsImageArchive)
            {
                if (ImageArchiveProblem(inspection, data, options) is { } problem)
                    return name == "dataset" ? problem : $"{name} {data.Id}: {problem}";
                continue;
            }
            try
            {
                DatasetFit.Match(inspection.Inputs, data.Arrays());
            }
            catch (DatasetMismatchException e)
            {
                return name == "dataset" ? e.Message : $"{name} {data.Id}: {e.Message}";
            }
        }

        if (OutputKindsProblem(inspection, options) is { } kindsProblem)
            return kindsProblem;
        var classOutputs = inspection.Outputs.Where(o => OutputKinds.Of(o, options.OutputKinds) == OutputKind.Classes).ToList();
        if (options.Objective is "labels" or "both")
        {
            if (!dataset.HasLabels)
                return $"objective '{options.Objective}' trains on labels, but dataset {dataset.Id} has none; upload labels or use objective 'distill'.";
            if (classOutputs.Count != 1)
                return $"objective '{options.Objective}' needs one class-score output of shape [N, C]; the network's outputs are " +
                    $"{Described(inspection, options)}. Use objective 'distill', or say which output holds class scores with options.outputKinds.";
        }
        var trainsOnLabels = options.Objective is "labels" or "both" || (options.Objective is null && dataset.HasLabels && classOutputs.Count == 1);
        if (trainsOnLabels && classOutputs.Count == 1 && classOutputs[0].Shape[1] is > 0 and var width && width < dataset.NumClasses)
            return $"The model's output '{classOutputs[0].Name}' has {width} classes, but the dataset's labels go up to class {dataset.NumClasses - 1}.";
        if (options.OutputWeights?.Keys.FirstOrDefault(k => inspection.Outputs.All(o => o.Name != k)) is { } unknown)
            return $"options.outputWeights names '{unknown}', which is not an output of the network (its outputs: {string.Join(", ", inspection.Outputs.Select(o => $"'{o.Name}'"))}).";
        return target.Budget is { Figure: BudgetFigure.Accuracy } ? AccuracyBudgetProblem(inspection, options, evalDataset ?? dataset, classOutputs) : null;
    }

    /// <summary>An accuracy budget measures held-out accuracy: the dataset the figures are measured on needs labels, the network one class output.</summary>
    private static string? AccuracyBudgetProblem(ModelInspection inspection, PruningOptions options, StoredDataset measuredOn, List<TensorDescription> classOutputs)
    {
        if (!measuredOn.HasLabels)
            return $"target.accuracyDrop holds held-out accuracy, but dataset {measuredOn.Id}, where the job's figures are measured, has no labels; " +
                "upload labels, or give target.agreementDrop (agreement with the original network, no labels needed).";
        if (classOutputs.Count != 1)
            return "target.accuracyDrop holds held-out accuracy, which needs one class-score output of shape [N, C]; the network's outputs are " +
                $"{Described(inspection, options)}. Give target.agreementDrop instead, or say which output holds class scores with options.outputKinds.";
        return null;
    }

    /// <summary><c>outputKinds</c> names outputs the network has, and calls only [N, C] outputs class scores.</summary>
    private static string? OutputKindsProblem(ModelInspection inspection, PruningOptions options)
    {
        foreach (var (name, kind) in options.OutputKinds ?? new Dictionary<string, string>())
        {
            var output = inspection.Outputs.FirstOrDefault(o => o.Name == name);
            if (output is null)
                return $"options.outputKinds names '{name}', which is not an output of the network (its outputs: {string.Join(", ", inspection.Outputs.Select(o => $"'{o.Name}'"))}).";
            if (kind == OutputKinds.Classes && output.Shape.Count != 2)
                return $"options.outputKinds calls '{name}' class scores, but it has shape [{string.Join(", ", output.Shape)}]; class scores are [N, C].";
        }
        return null;
    }

    /// <summary>E.g. "'logits' [-1, 10] (classes), 'embedding' [-1, 64] (values)".</summary>
    private static string Described(ModelInspection inspection, PruningOptions options) =>
        string.Join(", ", inspection.Outputs.Select(o => $"'{o.Name}' [{string.Join(", ", o.Shape)}] ({OutputKinds.Of(o, options.OutputKinds).ToWire()})"));

    /// <summary>An archive's images are resized for the network, so only its input's kind counts, and its classes.</summary>
    private static string? ImageArchiveProblem(ModelInspection inspection, StoredDataset dataset, PruningOptions options)
    {
        if (inspection.Inputs.Count != 1)
            return $"The network takes {inspection.Inputs.Count} inputs; an image archive feeds one.";
        if (ImageNetworkInput.Problem(inspection.Inputs[0].Shape, options.ImageSize) is { } problem)
            return problem;
        if (dataset.NumClasses == 1)
            return $"The image archive '{dataset.InputsFileName}' has a single class; a classifier needs images of at least two.";
        return null;
    }
}
