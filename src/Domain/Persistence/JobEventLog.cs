using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;

namespace Shears.Domain.Persistence;

/// <summary>
/// Appends events to a job's log with the next sequence number, optionally together with other changes in
/// the same transaction (a status change and its <c>status</c> event commit together or not at all).
/// </summary>
public sealed class JobEventLog(IDbContextFactory<ShearsDbContext> contexts, JobEventSignal signal)
{
    private const int MaxConflictRetries = 5;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Appends one event. <paramref name="alsoChange"/> runs on the same context, in one transaction with the event, before
    /// saving (so a row lock it takes holds until the event commits); it is run again if two writers raced for the same
    /// sequence number. Returns the event's sequence number.
    /// </summary>
    public async Task<long> AppendAsync(Guid jobId, string tenantId, JobEventType type, object data,
        CancellationToken cancellationToken, Func<ShearsDbContext, Task>? alsoChange = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            try
            {
                // The execution strategy (retries through a database outage) runs the whole transaction again.
                var sequence = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
                {
                    db.ChangeTracker.Clear();
                    await using var transaction = alsoChange is null ? null : await db.Database.BeginTransactionAsync(cancellationToken);
                    var last = await db.JobEvents.Where(e => e.JobId == jobId).MaxAsync(e => (long?)e.Sequence, cancellationToken) ?? 0;
                    if (alsoChange is not null)
                    {
                        await alsoChange(db);
                    }
                    db.JobEvents.Add(NewEvent(jobId, tenantId, last + 1, type, data));
                    await db.SaveChangesAsync(cancellationToken);
                    if (transaction is not null)
                    {
                        await transaction.CommitAsync(cancellationToken);
                    }
                    return last + 1;
                });
                signal.Notify(jobId);
                return sequence;
            }
            catch (DbUpdateException) when (attempt < MaxConflictRetries)
            {
                // Another writer took this sequence number; read the new last one and try again.
            }
        }
    }

    /// <summary>
    /// Adds a new job's first event (its initial status) to <paramref name="db"/>, to be saved with the job in the
    /// caller's transaction: nobody can have written an event for a job not yet committed.
    /// </summary>
    public static void AddFirstStatus(ShearsDbContext db, PruningJob job, JobStatus status, string? message)
        => db.JobEvents.Add(NewEvent(job.Id, job.TenantId, 1, JobEventType.Status, new StatusEventData(status.ToWire(), message)));

    private static JobEvent NewEvent(Guid jobId, string tenantId, long sequence, JobEventType type, object data) => new()
    {
        JobId = jobId,
        Sequence = sequence,
        TenantId = tenantId,
        Type = type,
        DataJson = JsonSerializer.Serialize(data, Json),
        CreatedAt = DateTime.UtcNow,
    };

    public Task<long> AppendStatusAsync(PruningJob job, JobStatus status, string? message, CancellationToken cancellationToken,
        Func<ShearsDbContext, Task>? alsoChange = null)
        => AppendAsync(job.Id, job.TenantId, JobEventType.Status, new StatusEventData(status.ToWire(), message), cancellationToken, alsoChange);
}

/// <summary>The <c>data:</c> of a <c>status</c> event.</summary>
public sealed record StatusEventData(string Status, string? Message);

/// <summary>The <c>data:</c> of a <c>log</c> event.</summary>
public sealed record LogEventData(string Message);
