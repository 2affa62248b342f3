using System.Text.Json;
using Shears.Domain.Jobs;

namespace Shears.Api.Contracts;

/// <summary>
/// <c>POST /v1/jobs</c>: prune <see cref="ModelId"/> on <see cref="DatasetId"/> with <see cref="Method"/>
/// (<c>magnitude</c> | <c>fisher</c> | <c>l0</c>) down to <see cref="Target"/> (fractions of the original cost to
/// keep). <see cref="Options"/> is an object of method options; see the service's documentation.
/// </summary>
public sealed record CreateJobRequest(Guid ModelId, Guid DatasetId, string? Method, PruningTarget? Target, JsonElement? Options);
