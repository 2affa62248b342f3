using System.Data.Common;
using System.Diagnostics;
using System.Text.Json;
using Hangfire;
using Microsoft.Extensions.Logging;
using Shears.Domain.Jobs;
using Shears.Domain.Persistence;
using Shears.Worker.Telemetry;

namespace Shears.Worker.Jobs;

/// <summary>Hands a job's id to Hangfire on the queue its device asks for.</summary>
public sealed partial class JobDispatcher(IBackgroundJobClient hangfire, ILogger<JobDispatcher> logger)
{
    /// <summary>Enqueues the job and returns the Hangfire id (store it in <see cref="PruningJob.DispatchId"/>).</summary>
    public string Dispatch(PruningJob job)
    {
        var options = JsonSerializer.Deserialize<PruningOptions>(job.OptionsJson, JobEventLog.Json) ?? new PruningOptions();
        var jobId = job.Id;
        // The request that created the job (if any) is named by it too; the Hangfire job carries the enqueue span's
        // context to the worker (TraceContextJobFilter).
        Activity.Current?.SetTag(ShearsTelemetry.JobIdTag, jobId.ToString());
        using var span = ShearsTelemetry.Source.StartActivity("job enqueue", ActivityKind.Producer);
        span?.SetTag(ShearsTelemetry.JobIdTag, jobId.ToString());
        return options.Device == "cuda"
            ? hangfire.Enqueue<IPruneJob>(runner => runner.RunOnGpuAsync(jobId, CancellationToken.None))
            : hangfire.Enqueue<IPruneJob>(runner => runner.RunOnCpuAsync(jobId, CancellationToken.None));
    }

    /// <summary>
    /// Enqueues a job the database already holds as queued; on failure (Hangfire's storage unreachable or
    /// overloaded) returns null and leaves the job to <see cref="JobReconciler"/>, which enqueues it later.
    /// </summary>
    public string? TryDispatch(PruningJob job)
    {
        try
        {
            return Dispatch(job);
        }
        catch (Exception ex) when (ex is BackgroundJobClientException or DbException or TimeoutException)
        {
            LogDeferred(ex, job.Id);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} is queued in the database but Hangfire did not take it; the reconciler will hand it over")]
    private partial void LogDeferred(Exception exception, Guid jobId);
}
