using Hangfire;

namespace Shears.Worker.Jobs;

/// <summary>
/// The Hangfire contract for running a pruning job. Arguments are ids only: everything else is read from the
/// database when the job runs. Queue and retry attributes live here because Hangfire reads them from the
/// method it was enqueued through. Retries are for infrastructure failures; a job that fails for its own
/// reasons is marked failed by the runner and returns normally, so it is never retried.
/// </summary>
public interface IPruneJob
{
    [Queue(JobQueues.Cpu)]
    [AutomaticRetry(Attempts = PruneJobRunner.MaxAttempts - 1, DelaysInSeconds = [10, 60], OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    Task RunOnCpuAsync(Guid jobId, CancellationToken shutdown);

    [Queue(JobQueues.Gpu)]
    [AutomaticRetry(Attempts = PruneJobRunner.MaxAttempts - 1, DelaysInSeconds = [10, 60], OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    Task RunOnGpuAsync(Guid jobId, CancellationToken shutdown);
}
