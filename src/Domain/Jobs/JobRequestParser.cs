using System.Text.Json;

namespace Shears.Domain.Jobs;

/// <summary>
/// A job request read from its JSON body: which model and dataset, the validated spec, and the dataset every before/after
/// figure is measured on (null: the <c>validationFraction</c> slice of the training dataset).
/// </summary>
public sealed record JobRequest(Guid ModelId, Guid DatasetId, JobSpec Spec, Guid? EvalDatasetId = null);

/// <summary>
/// Reads the JSON body of <c>POST /v1/jobs</c>. Every field is checked by hand so that a misspelt field, a missing
/// id or a value of the wrong type is named in the answer (with everything else that is wrong), never ignored.
/// </summary>
public static class JobRequestParser
{
    public const string ModelId = "modelId";
    public const string DatasetId = "datasetId";
    public const string Method = "method";
    public const string Target = "target";
    public const string Options = "options";
    public const string EvalDatasetId = "evalDatasetId";

    /// <summary>The body's fields; any other is refused.</summary>
    public static IReadOnlyList<string> Fields { get; } = [ModelId, DatasetId, Method, Target, Options, EvalDatasetId];

    /// <summary>The fields a request must give (a target may be left out only by an l0 job with options.lambda).</summary>
    public static IReadOnlyList<string> RequiredFields { get; } = [ModelId, DatasetId, Method];

    /// <summary>
    /// The target's members: <c>flops</c>/<c>params</c> (a fraction, or a list of levels), or a budget: <c>accuracyDrop</c> or
    /// <c>agreementDrop</c>, with <c>by</c> (<c>flops</c> or <c>params</c>) naming the cost to make smallest.
    /// </summary>
    public static IReadOnlyList<string> TargetFields { get; } = ["flops", "params", "accuracyDrop", "agreementDrop", "by"];

    /// <exception cref="InvalidJobSpecException">Lists every field that is wrong, unknown or missing.</exception>
    public static JobRequest Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidJobSpecException(new Dictionary<string, string[]>
            {
                [""] = [$"The body must be a JSON object with the fields {string.Join(", ", Fields)}; got a JSON {Kind(body)}."],
            });
        }
        var errors = new Dictionary<string, string[]>();
        foreach (var property in body.EnumerateObject().Where(p => !Fields.Contains(p.Name, StringComparer.OrdinalIgnoreCase)))
        {
            errors[property.Name] = [$"Unknown field '{property.Name}'. A job request has the fields {string.Join(", ", Fields)}."];
        }
        var modelId = Id(body, ModelId, "model", errors);
        var datasetId = Id(body, DatasetId, "dataset", errors);
        var evalDatasetId = Field(body, EvalDatasetId) is null ? null : Id(body, EvalDatasetId, "dataset", errors);
        var method = Field(body, Method) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } text => text.GetString(),
            { } other => Refuse<string>(errors, Method, $"method must be the text \"magnitude\", \"fisher\" or \"l0\"; got a JSON {Kind(other)}."),
        };
        var target = ReadTarget(Field(body, Target), errors);
        var options = Field(body, Options);

        JobSpec? spec = null;
        try
        {
            spec = JobSpecParser.Parse(method, target, options);
        }
        catch (InvalidJobSpecException invalid)
        {
            // What was already found wrong with a field says more than what the spec makes of its missing value.
            var targetRefused = errors.Keys.Any(k => k.StartsWith(Target, StringComparison.Ordinal));
            foreach (var (field, messages) in invalid.Errors.Where(e => !(targetRefused && e.Key == Target)))
            {
                errors.TryAdd(field, messages);
            }
        }
        if (Field(body, Method) is null)
        {
            errors[Method] = [$"method is missing: give one of {string.Join(", ", PruningMethodNames.All)}."];
        }
        if (errors.Count > 0)
        {
            throw new InvalidJobSpecException(errors);
        }
        return new JobRequest(modelId!.Value, datasetId!.Value, spec!, evalDatasetId);
    }

    private static Guid? Id(JsonElement body, string field, string resource, Dictionary<string, string[]> errors)
    {
        var upload = $"POST /v1/{resource}s answers with it";
        switch (Field(body, field))
        {
            case null:
                errors[field] = [$"{field} is missing: give the id of one of your {resource}s ({upload})."];
                return null;
            case { ValueKind: JsonValueKind.String } text when Guid.TryParse(text.GetString(), out var id):
                return id;
            case { ValueKind: JsonValueKind.String } text:
                errors[field] = [$"{field} must be a {resource} id, a GUID such as 3f2b8c1e-0d4a-4c55-9f1e-2a7b6c9d0e11 ({upload}); got the text \"{Shorten(text.GetString()!)}\"."];
                return null;
            case { } other:
                errors[field] = [$"{field} must be a {resource} id in quotes, a GUID ({upload}); got a JSON {Kind(other)}."];
                return null;
        }
    }

    /// <summary>A target object alone, as <see cref="TargetJson"/> stores it.</summary>
    /// <exception cref="InvalidJobSpecException">It does not read as a target.</exception>
    public static PruningTarget ParseTarget(JsonElement target)
    {
        var errors = new Dictionary<string, string[]>();
        var parsed = ReadTarget(target, errors);
        return errors.Count == 0 && parsed is not null ? parsed : throw new InvalidJobSpecException(errors);
    }

    private static PruningTarget? ReadTarget(JsonElement? target, Dictionary<string, string[]> errors)
    {
        if (target is null)
        {
            return null;
        }
        if (target.Value.ValueKind != JsonValueKind.Object)
        {
            Refuse<object>(errors, Target, $"target must be an object such as {{\"flops\": 0.5}}; got a JSON {Kind(target.Value)}.");
            return null;
        }
        foreach (var member in target.Value.EnumerateObject().Where(m => !TargetFields.Contains(m.Name, StringComparer.OrdinalIgnoreCase)))
        {
            errors[$"{Target}.{member.Name}"] = [$"Unknown target '{member.Name}'. A target has {string.Join(", ", TargetFields)}."];
        }
        var flops = Cost(target.Value, "flops", errors);
        var parameters = Cost(target.Value, "params", errors);
        var accuracyDrop = Drop(target.Value, "accuracyDrop", errors);
        var agreementDrop = Drop(target.Value, "agreementDrop", errors);
        var by = Field(target.Value, "by") switch
        {
            null => (CostMetric?)null,
            { ValueKind: JsonValueKind.String } text when string.Equals(text.GetString(), "flops", StringComparison.OrdinalIgnoreCase) => CostMetric.Flops,
            { ValueKind: JsonValueKind.String } text when string.Equals(text.GetString(), "params", StringComparison.OrdinalIgnoreCase) => CostMetric.Params,
            { } other => Refuse<CostMetric?>(errors, $"{Target}.by", $"target.by must be \"flops\" or \"params\" (the cost a budget makes smallest); got {Describe(other)}."),
        };
        if (errors.Keys.Any(k => k.StartsWith(Target, StringComparison.Ordinal)))
        {
            return null;
        }
        if (by is not null && accuracyDrop is null && agreementDrop is null)
        {
            errors[$"{Target}.by"] = ["target.by says which cost a budget makes smallest; it needs target.accuracyDrop or target.agreementDrop."];
            return null;
        }
        if (flops?.Levels is not null && parameters is not null || parameters?.Levels is not null && flops is not null)
        {
            errors[Target] = ["A job with levels counts them in one cost: give target.flops or target.params as a list, not both."];
            return null;
        }
        var levels = flops?.Levels is { } flopsLevels ? new TargetLevels(CostMetric.Flops, flopsLevels)
            : parameters?.Levels is { } paramsLevels ? new TargetLevels(CostMetric.Params, paramsLevels) : null;
        QualityBudget? budget = null;
        if (accuracyDrop is not null || agreementDrop is not null)
        {
            if (accuracyDrop is not null && agreementDrop is not null)
            {
                errors[Target] = ["Give target.accuracyDrop (held-out accuracy on the labels) or target.agreementDrop (agreement with the original), not both."];
                return null;
            }
            if (flops is not null || parameters is not null)
            {
                var name = accuracyDrop is not null ? "accuracyDrop" : "agreementDrop";
                errors[Target] = [$"target.{name} asks for the smallest network within the drop, so it takes no target.flops or target.params; say which cost to make smallest with \"by\": \"flops\" (the default) or \"params\"."];
                return null;
            }
            budget = accuracyDrop is { } a ? new QualityBudget(BudgetFigure.Accuracy, a, by ?? CostMetric.Flops) : new QualityBudget(BudgetFigure.Agreement, agreementDrop!.Value, by ?? CostMetric.Flops);
        }
        return new PruningTarget(flops?.Smallest, parameters?.Smallest) { Levels = levels, Budget = budget };
    }

    /// <summary>target.flops or target.params: one fraction, or a list of levels (their smallest is where the trajectory ends).</summary>
    private static (double? Smallest, IReadOnlyList<double>? Levels)? Cost(JsonElement target, string name, Dictionary<string, string[]> errors)
    {
        var field = $"{Target}.{name}";
        switch (Field(target, name))
        {
            case null:
                return null;
            case { ValueKind: JsonValueKind.Number } number when number.TryGetDouble(out var value):
                return (value, null);
            case { ValueKind: JsonValueKind.Array } list:
                var items = list.EnumerateArray().ToList();
                var bad = items.FindIndex(i => i.ValueKind != JsonValueKind.Number || !i.TryGetDouble(out _));
                if (bad >= 0)
                {
                    return Refuse<(double?, IReadOnlyList<double>?)?>(errors, field, $"{field}[{bad}] must be a number between 0 and 1; got {Describe(items[bad])}.");
                }
                var levels = items.Select(i => i.GetDouble()).ToArray();
                return (levels.Length == 0 ? null : levels.Min(), levels);
            case { } other:
                return Refuse<(double?, IReadOnlyList<double>?)?>(errors, field, $"{field} must be a number between 0 and 1, or a list of them (one network per level); got {Describe(other)}.");
        }
    }

    private static double? Drop(JsonElement target, string name, Dictionary<string, string[]> errors) => Field(target, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } number when number.TryGetDouble(out var value) => value,
        { } other => Refuse<double?>(errors, $"{Target}.{name}", $"target.{name} must be a number between 0 and 1 (0.01: one point); got {Describe(other)}."),
    };

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the text \"{Shorten(value.GetString()!)}\"",
        JsonValueKind.Number => value.GetRawText(),
        _ => $"a JSON {Kind(value)}",
    };

    /// <summary>The member named <paramref name="name"/> (any letter case, as JSON binding does); null when absent or JSON null.</summary>
    private static JsonElement? Field(JsonElement body, string name)
    {
        foreach (var property in body.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value.ValueKind == JsonValueKind.Null ? null : property.Value;
            }
        }
        return null;
    }

    /// <summary>Records the error and stands in for the value that could not be read.</summary>
    private static T? Refuse<T>(Dictionary<string, string[]> errors, string field, string message)
    {
        errors[field] = [message];
        return default;
    }

    private static string Kind(JsonElement value) => value.ValueKind.ToString().ToLowerInvariant();

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
