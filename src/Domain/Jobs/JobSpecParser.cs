using System.Text.Json;

namespace Shears.Domain.Jobs;

/// <summary>
/// Turns the method, target and options of a job request into a <see cref="JobSpec"/>, or throws
/// <see cref="InvalidJobSpecException"/> listing everything that is wrong at once.
/// </summary>
public static class JobSpecParser
{
    public static JobSpec Parse(string? method, PruningTarget? target, JsonElement? options)
    {
        var errors = new Dictionary<string, string[]>();
        if (!PruningMethodNames.TryParse(method, out var pruningMethod))
        {
            errors["method"] = [$"Unknown method '{method}'. Use one of: {string.Join(", ", PruningMethodNames.All)}."];
        }
        var parsedOptions = new PruningOptions();
        if (errors.Count == 0)
        {
            var (value, optionErrors) = PruningOptionsParser.Parse(pruningMethod, options);
            parsedOptions = value;
            foreach (var (name, message) in optionErrors)
            {
                errors[$"options.{name}"] = [message];
            }
        }
        // L0 without a target trains with the given λ and keeps whatever its gates decide (the paper's setting).
        var targetOptional = pruningMethod == PruningMethod.L0 && parsedOptions.Lambda is not null;
        var targetErrors = TargetErrors(target, targetOptional);
        if (targetErrors.Length > 0)
        {
            errors["target"] = targetErrors;
        }
        foreach (var (field, message) in TargetPlanErrors(target, pruningMethod, parsedOptions))
        {
            errors.TryAdd(field, [message]);
        }
        if (pruningMethod == PruningMethod.L0 && parsedOptions.Granularity == "weight" && target?.Flops is not null)
        {
            errors.TryAdd("target.flops", ["granularity \"weight\" zeroes single weights in tensors that keep their shape, so dense kernels do the same FLOPs; give target.params instead."]);
        }
        if (errors.Count > 0)
        {
            throw new InvalidJobSpecException(errors);
        }
        return new JobSpec(pruningMethod, target ?? new PruningTarget(null, null), parsedOptions);
    }

    private static string[] TargetErrors(PruningTarget? target, bool optional)
    {
        if (target is { Budget: not null } or { Levels.Fractions.Count: 0 })
        {
            return []; // TargetPlanErrors checks them
        }
        if (target is null || (target.Flops is null && target.Params is null))
        {
            return optional ? [] : ["Give a target: {\"flops\": f} and/or {\"params\": f}, the fraction of the original cost to keep (0 < f < 1); levels, {\"flops\": [0.5, 0.25, 0.1]}; or a budget, {\"accuracyDrop\": 0.01} (an l0 job may give options.lambda instead)."];
        }
        return new[] { ("flops", target.Flops), ("params", target.Params) }
            .Where(t => t.Item2 is { } f && !(f > 0 && f < 1))
            .Select(t => $"target.{t.Item1} is {t.Item2}; it must be a fraction strictly between 0 and 1.")
            .ToArray();
    }

    /// <summary>What is wrong with a target's levels or budget, keyed by the field it is about.</summary>
    private static IEnumerable<(string Field, string Message)> TargetPlanErrors(PruningTarget? target, PruningMethod method, PruningOptions options)
    {
        if (target?.Levels is { } levels)
        {
            var field = $"target.{(levels.Metric == CostMetric.Flops ? "flops" : "params")}";
            if (levels.Fractions.Count == 0)
                yield return (field, $"{field} lists no levels; give the fractions to keep, e.g. [0.5, 0.25, 0.1], or one number for one network.");
            if (levels.Fractions.Count > TargetLevels.MaxCount)
                yield return (field, $"{field} lists {levels.Fractions.Count} levels; one job gives at most {TargetLevels.MaxCount} networks.");
            var outside = levels.Fractions.ToList().FindIndex(f => !(f > 0 && f < 1));
            if (outside >= 0)
                yield return (field, $"{field}[{outside}] is {Format(levels.Fractions[outside])}; every level must be a fraction strictly between 0 and 1.");
            if (levels.Fractions.GroupBy(f => f).FirstOrDefault(g => g.Count() > 1) is { } twice)
                yield return (field, $"{field} lists {Format(twice.Key)} twice; each level is one network.");
            if (method == PruningMethod.L0 && options.Granularity == "weight")
                yield return (field, "granularity \"weight\" keeps every tensor's shape, so it has no sizes to hand back: levels need granularity \"channel\".");
        }
        if (target?.Budget is { } budget)
        {
            var field = $"target.{budget.FieldName}";
            if (!(budget.Drop > 0 && budget.Drop < 1))
                yield return (field, $"{field} is {Format(budget.Drop)}; it must be a fraction strictly between 0 and 1 (0.01: one point of {(budget.Figure == BudgetFigure.Accuracy ? "accuracy" : "agreement")}).");
            if (budget.Figure == BudgetFigure.Agreement && options.Objective == "labels")
                yield return (field, "target.agreementDrop holds the agreement with the original network, which a job holds to when it distils from it; objective 'labels' does not: use objective 'distill' or 'both' (or leave it out), or target.accuracyDrop.");
            if (method == PruningMethod.L0 && options.Granularity == "weight")
                yield return (field, $"{field} searches sizes, which granularity \"weight\" does not change (every tensor keeps its shape); use granularity \"channel\".");
        }
    }

    private static string Format(double value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
