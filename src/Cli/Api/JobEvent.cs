using System.Text.Json;

namespace Shears.Cli.Api;

/// <summary>One Server-Sent Event of a job: its sequence number, type (progress | log | warning | status) and data.</summary>
public sealed record JobEvent(long Id, string Type, JsonElement Data)
{
    public string? Status => Type == "status" && Data.TryGetProperty("status", out var status) ? status.GetString() : null;

    public bool IsFinalStatus => Status is "succeeded" or "failed" or "cancelled";

    public double? Number(string name)
        => Data.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    public string? Text(string name)
        => Data.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
