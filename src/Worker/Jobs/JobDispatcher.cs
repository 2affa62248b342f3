using System.Text.Json;
using Hangfire;
using Shears.Domain.Jobs;
using Shears.Domain.Persistence;

namespace Shears.Worker.Jobs;

/// <summary>Hands a job's id to Hangfire on the queue its device asks for.</summary>
public sealed class JobDispatcher(IBackgroundJobClient hangfire)
{
    /// <summary>Enqueues the job and returns the Hangfire id (store it in <see cref="PruningJob.DispatchId"/>).</summary>
    public string Dispatch(PruningJob job)
    {
        var options = JsonSerializer.Deserialize<PruningOptions>(job.OptionsJson, JobEventLog.Json) ?? new PruningOptions();
        var jobId = job.Id;
        return options.Device == "cuda"
            ? hangfire.Enqueue<IPruneJob>(runner => runner.RunOnGpuAsync(jobId, CancellationToken.None))
            : hangfire.Enqueue<IPruneJob>(runner => runner.RunOnCpuAsync(jobId, CancellationToken.None));
    }
}
