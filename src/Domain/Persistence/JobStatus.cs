namespace Shears.Domain.Persistence;

/// <summary>Lifecycle of a pruning job. Stored and shown in lower case (<c>queued</c>, <c>running</c> …).</summary>
public enum JobStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

public static class JobStatusExtensions
{
    public static bool IsFinal(this JobStatus status) => status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled;

    public static string ToWire(this JobStatus status) => status.ToString().ToLowerInvariant();
}
