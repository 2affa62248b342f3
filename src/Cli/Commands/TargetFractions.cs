using System.Globalization;
using System.Text.Json.Nodes;

namespace Shears.Cli.Commands;

/// <summary><c>--target-flops 0.5</c> (one network) or <c>--target-flops 0.5,0.25,0.1</c> (levels): the target's JSON form.</summary>
public static class TargetFractions
{
    public static JsonNode? Json(string? text)
    {
        if (text is null)
            return null;
        var values = Parse(text);
        return text.Contains(',', StringComparison.Ordinal) ? new JsonArray([.. values.Select(v => (JsonNode)v)]) : JsonValue.Create(values[0]);
    }

    /// <summary>What is wrong with the text, or null. The ranges are the service's to check.</summary>
    public static string? Problem(string? text)
    {
        if (text is null)
            return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var bad = parts.FirstOrDefault(p => !double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        return bad is null ? null : $"'{bad}' is not a number; give a fraction such as 0.5, or levels such as 0.5,0.25,0.1.";
    }

    private static double[] Parse(string text) =>
        [.. text.Split(',', StringSplitOptions.TrimEntries).Select(p => double.Parse(p, NumberStyles.Float, CultureInfo.InvariantCulture))];
}
