using Microsoft.EntityFrameworkCore;
using Shears.Domain.Persistence;

namespace Shears.Worker.Jobs;

/// <summary>
/// Runs beside a job: turns the database's cancel flag into <see cref="CancelRequested"/> within
/// <see cref="JobTimings.CancelPollInterval"/>, keeps the job's heartbeat fresh so nobody takes it over, and
/// signals <see cref="OwnershipLost"/> if another worker took it over anyway (after a long stall).
/// </summary>
public sealed class JobWatchdog : IAsyncDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public JobWatchdog(IDbContextFactory<ShearsDbContext> contexts, Guid jobId, string workerId)
        => _loop = WatchAsync(contexts, jobId, workerId, _stop.Token);

    /// <summary>Cancelled when a user asked to cancel the job.</summary>
    public CancellationToken CancelRequested => _cancel.Token;

    /// <summary>Cancelled when the database says another worker holds the job now: this run must stop quietly.</summary>
    public CancellationToken OwnershipLost => _lost.Token;

    private async Task WatchAsync(IDbContextFactory<ShearsDbContext> contexts, Guid jobId, string workerId, CancellationToken stop)
    {
        var lastBeat = DateTime.UtcNow;
        using var timer = new PeriodicTimer(JobTimings.CancelPollInterval);
        while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false) is true)
        {
            try
            {
                await using var db = await contexts.CreateDbContextAsync(stop);
                var row = await db.Jobs.Where(j => j.Id == jobId).Select(j => new { j.CancelRequested, j.WorkerId }).FirstOrDefaultAsync(stop);
                if (row?.CancelRequested == true)
                {
                    await _cancel.CancelAsync();
                }
                if (row is not null && row.WorkerId != workerId)
                {
                    await _lost.CancelAsync();
                }
                if (DateTime.UtcNow - lastBeat >= JobTimings.HeartbeatInterval)
                {
                    lastBeat = DateTime.UtcNow;
                    await db.Jobs.Where(j => j.Id == jobId && j.WorkerId == workerId)
                        .ExecuteUpdateAsync(s => s.SetProperty(j => j.HeartbeatAt, lastBeat), stop);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A database hiccup must not end the job; the next tick tries again.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
        _stop.Dispose();
        _cancel.Dispose();
        _lost.Dispose();
    }
}
