using System.Text.Json;
using Shears.Domain.Persistence;

namespace Shears.Api.Contracts;

/// <summary>A job as the API shows it.</summary>
public sealed record JobResponse(
    Guid Id,
    Guid ModelId,
    Guid DatasetId,
    string Method,
    JsonElement Target,
    JsonElement Options,
    string Status,
    double Progress,
    bool CancelRequested,
    int Attempts,
    DateTime CreatedAt,
    DateTime? StartedAt,
    DateTime? FinishedAt,
    string? Error,
    JsonElement? Result,
    IReadOnlyList<string> Artifacts,
    Guid? EvalDatasetId)
{
    public static JobResponse From(PruningJob job) => new(
        job.Id, job.ModelId, job.DatasetId, job.Method, TargetOf(job),
        JsonSerializer.Deserialize<JsonElement>(job.OptionsJson), job.Status.ToWire(), job.Progress, job.CancelRequested,
        job.Attempts, job.CreatedAt, job.StartedAt, job.FinishedAt, job.Error,
        job.ResultJson is null ? null : JsonSerializer.Deserialize<JsonElement>(job.ResultJson),
        job.Artifacts.Select(a => a.Name).Order().ToArray(), job.EvalDatasetId);

    /// <summary>The target as the request gave it: a fraction, levels or a budget.</summary>
    private static JsonElement TargetOf(PruningJob job) => JsonSerializer.Deserialize<JsonElement>(job.TargetJson
        ?? Domain.Jobs.TargetJson.Write(new Domain.Jobs.PruningTarget(job.TargetFlops, job.TargetParams)));
}
