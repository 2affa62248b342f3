using System.Text.Json;

namespace Shears.Api.Tests.Infrastructure;

public sealed record ServerSentEvent(long Id, string Type, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement;
}
