using System.Text.Json;

namespace Shears.Cli.Output;

/// <summary>A job as text: status, the before/after numbers, its warnings, the layers that shrank, the artifacts.</summary>
public static class JobText
{
    public static void Write(TextWriter output, JsonElement job)
    {
        output.WriteLine($"Job {job.Text("id")}: {job.Text("status")} ({job.Text("method")}, progress {job.Percent("progress")})");
        if (job.Text("error") is var error and not "-")
        {
            output.WriteLine($"  error: {error}");
        }
        var result = job.Child("result");
        if (result.ValueKind == JsonValueKind.Object)
        {
            output.WriteLine($"  objective {result.Text("objective")}; figures on {result.Text("evaluatedOn")}");
            WriteMetrics(output, "before", result.Child("before"));
            WriteMetrics(output, "after ", result.Child("after"));
            foreach (var agreement in result.Child("after").Child("agreement") is { ValueKind: JsonValueKind.Array } outputs ? outputs.EnumerateArray() : [])
            {
                var top1 = agreement.Child("top1Agreement").ValueKind == JsonValueKind.Number ? $"top-1 agreement {agreement.Percent("top1Agreement")}, " : "";
                output.WriteLine($"  vs original, output {agreement.Text("output")}: {top1}relative error {agreement.Number("relativeError", "G3")}, cosine {agreement.Number("cosine", "F4")}");
            }
            output.WriteLine($"  pruned model: {result.Text("modelId")}");
            WriteLevels(output, result, job.Child("target"));
            WriteCandidates(output, result, job.Child("target"));
            if (result.Child("warnings") is { ValueKind: JsonValueKind.Array } warnings)
            {
                foreach (var warning in warnings.EnumerateArray())
                {
                    output.WriteLine($"  warning: {warning.GetString()}");
                }
            }
            foreach (var layer in result.Child("layers").EnumerateArray())
            {
                output.WriteLine($"  layer {layer.Text("name")}: {layer.Text("channelsBefore")} → {layer.Text("channelsAfter")} channels");
            }
        }
        if (job.Child("artifacts") is { ValueKind: JsonValueKind.Array } artifacts && artifacts.GetArrayLength() > 0)
        {
            output.WriteLine($"  artifacts: {string.Join(", ", artifacts.EnumerateArray().Select(a => a.GetString()))}");
        }
    }

    /// <summary>A levels job's networks, largest first: the level, its model, cost, held-out figure and latency.</summary>
    private static void WriteLevels(TextWriter output, JsonElement result, JsonElement target)
    {
        if (result.Child("levels") is not { ValueKind: JsonValueKind.Array } levels)
            return;
        var metric = target.Child("params").ValueKind == JsonValueKind.Array ? "params" : "flops";
        output.WriteLine($"  levels ({levels.GetArrayLength()}, each a model of its own):");
        foreach (var level in levels.EnumerateArray())
        {
            var after = level.Child("after");
            output.WriteLine($"    level {level.Percent("target")} of the {metric}: model {level.Text("modelId")}, {after.Count("flops")} FLOPs, " +
                $"{after.Count("params")} params, {Figure(after)}, latency {after.Number("latencyMs", "F3")} ms");
        }
    }

    /// <summary>A budget job's candidates, largest first: size, the budget's figure and drop, held or not, and the chosen one.</summary>
    private static void WriteCandidates(TextWriter output, JsonElement result, JsonElement target)
    {
        if (result.Child("candidates") is not { ValueKind: JsonValueKind.Array } candidates)
            return;
        var budget = target.Child("accuracyDrop").ValueKind == JsonValueKind.Number ? "accuracyDrop" : "agreementDrop";
        output.WriteLine($"  candidates tried ({budget} {target.Text(budget)}, smallest by {target.Text("by")}):");
        foreach (var candidate in candidates.EnumerateArray())
        {
            var held = candidate.Child("withinBudget").ValueKind == JsonValueKind.True ? "held" : "not held";
            var chosen = candidate.Child("chosen").ValueKind == JsonValueKind.True ? " (chosen)" : "";
            output.WriteLine($"    {candidate.Percent("flopsFraction")} of the FLOPs ({candidate.Count("flops")}), {candidate.Percent("paramsFraction")} of the params " +
                $"({candidate.Count("params")}): {Figure(candidate)}, drop {candidate.Number("drop", "G3")}, {held}{chosen}");
        }
    }

    /// <summary>Held-out accuracy with labels, else each output's agreement with the original.</summary>
    private static string Figure(JsonElement figures)
    {
        if (figures.Child("accuracy").ValueKind == JsonValueKind.Number)
            return $"accuracy {figures.Percent("accuracy")}";
        var outputs = figures.Child("agreement") is { ValueKind: JsonValueKind.Array } agreement ? agreement.EnumerateArray().ToList() : [];
        return outputs.Count == 0 ? "no held-out figure" : string.Join(", ", outputs.Select(a => a.Child("top1Agreement").ValueKind == JsonValueKind.Number
            ? $"top-1 agreement {a.Percent("top1Agreement")} ({a.Text("output")})"
            : $"relative error {a.Number("relativeError", "G3")} ({a.Text("output")})"));
    }

    /// <summary>Accuracy only when the data had labels (a distillation job without labels has none).</summary>
    private static void WriteMetrics(TextWriter output, string label, JsonElement metrics)
    {
        var accuracy = metrics.Child("accuracy").ValueKind == JsonValueKind.Number
            ? $", accuracy {metrics.Percent("accuracy")}" + (metrics.Child("top5Accuracy").ValueKind == JsonValueKind.Number ? $", top-5 {metrics.Percent("top5Accuracy")}" : "")
            : "";
        output.WriteLine($"  {label}: {metrics.Count("params")} params, {metrics.Count("flops")} FLOPs{accuracy}, latency {metrics.Text("latencyMs")} ms");
    }
}
