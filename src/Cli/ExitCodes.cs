namespace Shears.Cli;

/// <summary>What the process exit code tells a pipeline.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Something the CLI did not expect (a bug, an unreadable local file).</summary>
    public const int Unexpected = 1;
    /// <summary>The command line itself is wrong: unknown command, missing or malformed option.</summary>
    public const int Usage = 2;
    /// <summary>The service refused the request (problem details: bad id, invalid upload or job, no key).</summary>
    public const int ApiError = 3;
    /// <summary>The service could not be reached at all.</summary>
    public const int Unreachable = 4;
    /// <summary>The job ran and failed.</summary>
    public const int JobFailed = 10;
    /// <summary>The job was cancelled.</summary>
    public const int JobCancelled = 11;

    /// <summary>Ctrl-C stopped the CLI (128 + SIGINT, as shells count); a job it followed goes on.</summary>
    public const int Interrupted = 130;

    /// <summary>The exit code for a job that has reached <paramref name="status"/>.</summary>
    public static int ForJobStatus(string? status) => status switch
    {
        "failed" => JobFailed,
        "cancelled" => JobCancelled,
        _ => Success,
    };
}
