using System.Globalization;
using System.Text.Json.Nodes;

namespace Shears.Cli.Commands;

/// <summary>Turns repeated <c>--option key=value</c> into the job's options object, with numbers and booleans typed.</summary>
public static class JobOptionsParser
{
    /// <summary>Why <paramref name="pair"/> is not <c>key=value</c>; null when it is.</summary>
    public static string? Problem(string pair)
        => pair.IndexOf('=', StringComparison.Ordinal) > 0 ? null : $"--option '{pair}' is not key=value (e.g. --option epochs=2).";

    public static JsonObject Parse(IEnumerable<string> pairs)
    {
        var options = new JsonObject();
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            options[pair[..equals].Trim()] = Value(pair[(equals + 1)..].Trim());
        }
        return options;
    }

    private static JsonValue? Value(string text) => text switch
    {
        "true" or "false" => JsonValue.Create(text == "true"),
        "null" => null,
        _ when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
        _ => JsonValue.Create(text),
    };
}
