using Shears.Cli.Output;

namespace Shears.Cli.Commands;

/// <summary>
/// Follows a job to its end for <c>prune --wait</c> and <c>jobs wait</c>, then shows it; the exit code is the job's.
/// Ctrl-C stops the following, not the job, and the CLI says so and how to cancel the job.
/// </summary>
public static class JobFollowing
{
    public static async Task<int> FollowAsync(CommandRunner run, Guid jobId, CancellationToken cancellationToken)
    {
        try
        {
            var finished = await JobProgressView.FollowAsync(run.Client, run.Console, jobId, quiet: run.Json, cancellationToken);
            run.Write(finished, output => JobText.Write(output, finished));
            return ExitCodes.ForJobStatus(finished.Text("status"));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await run.Console.Error.WriteLineAsync(InterruptedMessage(jobId));
            return ExitCodes.Interrupted;
        }
    }

    public static string InterruptedMessage(Guid jobId)
        => $"Stopped following job {jobId}, which keeps running on the service; to stop it, run: shears jobs cancel {jobId}";
}
