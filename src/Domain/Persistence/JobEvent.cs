namespace Shears.Domain.Persistence;

/// <summary>
/// One entry of a job's event log, numbered per job from 1 without gaps. The number is the SSE <c>id:</c>,
/// so a client that reconnects with <c>Last-Event-ID</c> gets exactly what it missed.
/// </summary>
public sealed class JobEvent
{
    public Guid JobId { get; set; }
    public long Sequence { get; set; }
    public required string TenantId { get; set; }
    public JobEventType Type { get; set; }
    /// <summary>The SSE <c>data:</c> payload (JSON).</summary>
    public required string DataJson { get; set; }
    public DateTime CreatedAt { get; set; }
}
