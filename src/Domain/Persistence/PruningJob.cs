namespace Shears.Domain.Persistence;

/// <summary>
/// One pruning job. This row is the truth about the job; Hangfire only dispatches its id.
/// </summary>
public sealed class PruningJob : ITenantOwned
{
    public Guid Id { get; set; }
    public required string TenantId { get; set; }
    public Guid ModelId { get; set; }
    public Guid DatasetId { get; set; }
    /// <summary>The dataset every before/after figure is measured on; null: the <c>validationFraction</c> slice of <see cref="DatasetId"/>.</summary>
    public Guid? EvalDatasetId { get; set; }
    /// <summary>Wire name of the method: <c>magnitude</c>, <c>fisher</c> or <c>l0</c>.</summary>
    public required string Method { get; set; }
    public double? TargetFlops { get; set; }
    public double? TargetParams { get; set; }
    /// <summary>
    /// The whole target as the request gave it (<see cref="Jobs.TargetJson"/>): levels and budgets live only here; null in rows
    /// written before it existed, whose target is <see cref="TargetFlops"/>/<see cref="TargetParams"/>.
    /// </summary>
    public string? TargetJson { get; set; }
    /// <summary>The complete, validated options (defaults filled in) as JSON.</summary>
    public required string OptionsJson { get; set; }
    public JobStatus Status { get; set; }
    public double Progress { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public string? Error { get; set; }
    /// <summary>The <c>result</c> object as JSON once the job has succeeded.</summary>
    public string? ResultJson { get; set; }
    /// <summary>Set by the cancel endpoint; the runner watches it and stops at the next step.</summary>
    public bool CancelRequested { get; set; }
    /// <summary>How many times a worker has started this job (crashes and retries included).</summary>
    public int Attempts { get; set; }
    /// <summary>Written by the worker that holds the job; a stale heartbeat means nobody holds it.</summary>
    public DateTime? HeartbeatAt { get; set; }
    public string? WorkerId { get; set; }
    /// <summary>The Hangfire job that currently carries this job (dispatch only).</summary>
    public string? DispatchId { get; set; }
    public List<JobArtifact> Artifacts { get; set; } = [];
}
