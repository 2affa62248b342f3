namespace Shears.Worker.Jobs;

/// <summary>How often a running job looks for a cancel request and proves it is alive.</summary>
public static class JobTimings
{
    public static readonly TimeSpan CancelPollInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);
}
