using System.Text.Json;
using Shears.Domain.Persistence;

namespace Shears.Api.Contracts;

/// <summary>A model as the API shows it; <c>inspection</c> is what upload-time inspection found.</summary>
public sealed record ModelResponse(Guid Id, string Name, string Sha256, long SizeBytes, DateTime CreatedAt, Guid? SourceJobId, JsonElement Inspection)
{
    public static ModelResponse From(StoredModel model) => new(model.Id, model.Name, model.Sha256, model.SizeBytes,
        model.CreatedAt, model.SourceJobId, JsonSerializer.Deserialize<JsonElement>(model.InspectionJson));
}
