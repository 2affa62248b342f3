using System.Text.Json;
using System.Text.Json.Nodes;

namespace Shears.Domain.Jobs;

/// <summary>
/// A job's target in the form a request gives it (<c>{"flops": 0.5}</c>, <c>{"flops": [0.5, 0.25]}</c>,
/// <c>{"accuracyDrop": 0.01, "by": "params"}</c>): what the job row stores and the API shows, read back by
/// <see cref="JobRequestParser.ParseTarget"/>.
/// </summary>
public static class TargetJson
{
    public static string Write(PruningTarget target)
    {
        var json = new JsonObject();
        if (target.Budget is { } budget)
        {
            json[budget.FieldName] = budget.Drop;
            json["by"] = Name(budget.By);
        }
        else if (target.Levels is { } levels)
        {
            json[Name(levels.Metric)] = new JsonArray([.. levels.Fractions.Select(f => (JsonNode)f)]);
        }
        else
        {
            if (target.Flops is { } flops)
                json["flops"] = flops;
            if (target.Params is { } parameters)
                json["params"] = parameters;
        }
        return json.ToJsonString();
    }

    public static PruningTarget Read(string json)
    {
        using var document = JsonDocument.Parse(json);
        return JobRequestParser.ParseTarget(document.RootElement);
    }

    public static string Name(CostMetric metric) => metric == CostMetric.Flops ? "flops" : "params";
}
