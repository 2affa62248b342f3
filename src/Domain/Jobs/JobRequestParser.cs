using System.Text.Json;

namespace Shears.Domain.Jobs;

/// <summary>A job request read from its JSON body: which model and dataset, and the validated spec.</summary>
public sealed record JobRequest(Guid ModelId, Guid DatasetId, JobSpec Spec);

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

    /// <summary>The body's fields; any other is refused.</summary>
    public static IReadOnlyList<string> Fields { get; } = [ModelId, DatasetId, Method, Target, Options];

    /// <summary>The fields a request must give (a target may be left out only by an l0 job with options.lambda).</summary>
    public static IReadOnlyList<string> RequiredFields { get; } = [ModelId, DatasetId, Method];

    /// <summary>The target's members.</summary>
    public static IReadOnlyList<string> TargetFields { get; } = ["flops", "params"];

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
        return new JobRequest(modelId!.Value, datasetId!.Value, spec!);
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
            errors[$"{Target}.{member.Name}"] = [$"Unknown target '{member.Name}'. A target has {string.Join(" and/or ", TargetFields)}."];
        }
        double? Fraction(string name) => Field(target.Value, name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Number } number when number.TryGetDouble(out var value) => value,
            { } other => Refuse<double?>(errors, $"{Target}.{name}", $"target.{name} must be a number between 0 and 1; got a JSON {Kind(other)}."),
        };
        var flops = Fraction("flops");
        var parameters = Fraction("params");
        return errors.Keys.Any(k => k.StartsWith(Target, StringComparison.Ordinal)) ? null : new PruningTarget(flops, parameters);
    }

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
