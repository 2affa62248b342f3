using System.Collections.Concurrent;

namespace Shears.Domain.Persistence;

/// <summary>
/// In-process wake-up for readers of a job's events. Writers in this process (embedded mode) and the
/// PostgreSQL LISTEN loop (distributed mode) call <see cref="Notify"/>; SSE streams await <see cref="NextAsync"/>.
/// </summary>
public sealed class JobEventSignal
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _waiters = new();

    /// <summary>
    /// A task that completes at the next <see cref="Notify"/> for the job. Take it before reading the
    /// events, then await it: nothing written in between is missed.
    /// </summary>
    public Task NextAsync(Guid jobId)
        => _waiters.GetOrAdd(jobId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Notify(Guid jobId)
    {
        if (_waiters.TryRemove(jobId, out var waiter))
        {
            waiter.TrySetResult();
        }
    }

    /// <summary>Wakes every reader, e.g. after a lost database connection during which notifications were missed.</summary>
    public void NotifyAll()
    {
        foreach (var jobId in _waiters.Keys)
        {
            Notify(jobId);
        }
    }
}
