using System.Globalization;
using System.Text.Json;

namespace Shears.Cli.Output;

/// <summary>Reads fields of the service's JSON answers for text output, tolerating absent ones.</summary>
public static class JsonText
{
    public static string Text(this JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()
            : "-";

    public static string Count(this JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble().ToString("N0", CultureInfo.InvariantCulture)
            : "-";

    public static string Percent(this JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble().ToString("P1", CultureInfo.InvariantCulture)
            : "-";

    public static string Number(this JsonElement element, string name, string format)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble().ToString(format, CultureInfo.InvariantCulture)
            : "-";

    public static JsonElement Child(this JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;
}
