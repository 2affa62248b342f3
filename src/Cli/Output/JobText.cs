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

    /// <summary>Accuracy only when the data had labels (a distillation job without labels has none).</summary>
    private static void WriteMetrics(TextWriter output, string label, JsonElement metrics)
    {
        var accuracy = metrics.Child("accuracy").ValueKind == JsonValueKind.Number
            ? $", accuracy {metrics.Percent("accuracy")}" + (metrics.Child("top5Accuracy").ValueKind == JsonValueKind.Number ? $", top-5 {metrics.Percent("top5Accuracy")}" : "")
            : "";
        output.WriteLine($"  {label}: {metrics.Count("params")} params, {metrics.Count("flops")} FLOPs{accuracy}, latency {metrics.Text("latencyMs")} ms");
    }
}
