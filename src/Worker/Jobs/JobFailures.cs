using System.Data.Common;
using System.Net.Sockets;
using Shears.Domain.Datasets;
using Shears.Domain.Graph;
using Shears.Domain.Persistence;
using Shears.Worker.Engine;

namespace Shears.Worker.Jobs;

/// <summary>
/// Sorts a job's failure: a failure of what the job stands on (the database, the artifact volume, the network) may not
/// meet the next attempt, so Hangfire retries it; anything else is the job's own (an unreachable target, a NaN loss,
/// out of memory, a network the engine cannot run, a bug met by this input, a file missing from the artifacts folder),
/// which another attempt would only repeat.
/// Listing the infrastructure rather than the job's faults keeps an unforeseen engine error from being retried.
/// </summary>
public static class JobFailures
{
    public static bool IsInfrastructure(Exception ex) => ex switch
    {
        // A missing file does not come back by itself: the worker's artifacts folder is not the Api's.
        PruningFailedException or InvalidModelException or InvalidDatasetException or ArtifactMissingException => false,
        DbException or IOException or TimeoutException or SocketException or HttpRequestException => true,
        // EF Core wraps the provider's errors (DbUpdateException, RetryLimitExceededException once its own retries
        // are spent, "likely due to a transient failure"); so do tasks.
        _ => ex.InnerException is { } inner && IsInfrastructure(inner),
    };

    /// <summary>The job's error and its <c>failed</c> event: what went wrong, in words a user can act on.</summary>
    public static string Describe(Exception ex, int attempts)
    {
        if (IsInfrastructure(ex))
        {
            return $"Gave up after {attempts} attempts; the last one failed because {Summary(ex)}.";
        }
        if (IsOutOfMemory(ex))
        {
            var detail = ex is OutOfMemoryException ? "" : $" ({FirstLine(ex.Message)})";
            return $"The job ran out of memory{detail}. Lower options.batchSize, use a smaller dataset, or run it on a worker with more memory.";
        }
        if (ex is ArtifactMissingException missing)
        {
            return $"{missing.Message} {missing.Remedy}";
        }
        return ex is PruningFailedException or InvalidModelException or InvalidDatasetException
            ? ex.Message
            : $"The engine could not run this job ({ex.GetType().Name}: {FirstLine(ex.Message)}); running it again would fail the same way.";
    }

    /// <summary>
    /// What an infrastructure failure was, for the job's events: file errors name no server path (the worker's log has
    /// the whole exception).
    /// </summary>
    public static string Summary(Exception ex)
    {
        var cause = ex;
        while (cause is not (DbException or IOException or TimeoutException or SocketException or HttpRequestException) && cause.InnerException is { } inner)
        {
            cause = inner;
        }
        return cause switch
        {
            IOException => $"the artifact store could not be read or written ({cause.GetType().Name})",
            DbException => $"the database failed ({FirstLine(cause.Message)})",
            _ => $"{cause.GetType().Name}: {FirstLine(cause.Message)}",
        };
    }

    /// <summary>.NET's own, or libtorch's (a native error whose message says so).</summary>
    private static bool IsOutOfMemory(Exception ex) => ex is OutOfMemoryException
        || ex.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
        || ex.Message.Contains("not enough memory", StringComparison.OrdinalIgnoreCase);

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
