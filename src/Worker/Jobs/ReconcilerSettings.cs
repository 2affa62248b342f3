using Microsoft.Extensions.Configuration;

namespace Shears.Worker.Jobs;

/// <summary>
/// How often the reconciler compares the database with the queue (<c>Jobs:ReconcileIntervalSeconds</c> [30]), how
/// old a job must be before it is considered (<c>Jobs:ReconcileGraceSeconds</c> [30]: the Api may still be enqueuing it),
/// and how old a running job's heartbeat may get before its worker counts as dead and the job may be taken over
/// (<c>Jobs:StaleAfterSeconds</c> [60], at least twice <see cref="JobTimings.HeartbeatInterval"/>). The Api and the
/// workers must agree on the last.
/// </summary>
public sealed record ReconcilerSettings(TimeSpan Interval, TimeSpan Grace, TimeSpan StaleAfter)
{
    public static ReconcilerSettings From(IConfiguration configuration) => new(
        TimeSpan.FromSeconds(configuration.GetValue<double?>("Jobs:ReconcileIntervalSeconds") ?? 30),
        TimeSpan.FromSeconds(configuration.GetValue<double?>("Jobs:ReconcileGraceSeconds") ?? 30),
        TimeSpan.FromSeconds(Math.Max(configuration.GetValue<double?>("Jobs:StaleAfterSeconds") ?? 60, 2 * JobTimings.HeartbeatInterval.TotalSeconds)));
}
