using Hangfire;
using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Shears.Domain.Persistence;

namespace Shears.Worker.Jobs;

/// <summary>
/// Keeps Hangfire in step with the database, which is the truth: a job the database holds as queued or
/// running, that no live worker holds and no Hangfire job carries (lost with an in-memory queue, deleted,
/// failed after its retries, or its worker died), is enqueued again. The runner's claim makes a duplicate harmless.
/// </summary>
public sealed partial class JobReconciler(
    IDbContextFactory<ShearsDbContext> contexts,
    JobStorage storage,
    JobDispatcher dispatcher,
    JobEventLog events,
    ReconcilerSettings settings,
    ILogger<JobReconciler> logger) : BackgroundService
{
    private static readonly string[] LiveStates = [EnqueuedState.StateName, ProcessingState.StateName, ScheduledState.StateName, AwaitingState.StateName];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.Interval);
        do
        {
            try
            {
                await ReconcileAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogReconcileFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var createdBefore = now - settings.Grace;
        var staleBefore = now - settings.StaleAfter;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var candidates = await db.Jobs
            .Where(j => (j.Status == JobStatus.Queued || j.Status == JobStatus.Running) && j.CreatedAt < createdBefore)
            .Where(j => j.Status == JobStatus.Queued || j.HeartbeatAt == null || j.HeartbeatAt < staleBefore)
            .ToListAsync(cancellationToken);
        foreach (var job in candidates.Where(j => !IsCarried(j)))
        {
            var dispatchId = dispatcher.Dispatch(job);
            job.DispatchId = dispatchId;
            await db.SaveChangesAsync(cancellationToken);
            LogRequeued(job.Id, dispatchId);
            await events.AppendAsync(job.Id, job.TenantId, JobEventType.Log,
                new LogEventData("No worker held this job; it was queued again."), cancellationToken);
        }
    }

    /// <summary>
    /// True when a Hangfire job still carries it: queued or processing with a live worker. A running job with
    /// a stale heartbeat is not carried even if Hangfire still shows it processing (its worker died).
    /// </summary>
    private bool IsCarried(PruningJob job)
    {
        if (job.DispatchId is null || job.Status == JobStatus.Running)
        {
            return false;
        }
        using var connection = storage.GetConnection();
        var dispatched = connection.GetJobData(job.DispatchId);
        // An in-memory queue starts its ids afresh after a restart: make sure the id still means this job.
        return dispatched?.State is { } state && LiveStates.Contains(state)
            && dispatched.Job?.Args is [Guid carried, ..] && carried == job.Id;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} was held by no worker; enqueued again as {DispatchId}")]
    private partial void LogRequeued(Guid jobId, string dispatchId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reconciling jobs with the queue failed; trying again later")]
    private partial void LogReconcileFailed(Exception ex);
}
