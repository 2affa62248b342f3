using Microsoft.Extensions.Configuration;

namespace Shears.Worker.Jobs;

/// <summary>
/// How often the reconciler compares the database with the queue (<c>Jobs:ReconcileIntervalSeconds</c> [30]) and how
/// old a job must be before it is considered (<c>Jobs:ReconcileGraceSeconds</c> [30]: the Api may still be enqueuing it).
/// </summary>
public sealed record ReconcilerSettings(TimeSpan Interval, TimeSpan Grace)
{
    public static ReconcilerSettings From(IConfiguration configuration) => new(
        TimeSpan.FromSeconds(configuration.GetValue<double?>("Jobs:ReconcileIntervalSeconds") ?? 30),
        TimeSpan.FromSeconds(configuration.GetValue<double?>("Jobs:ReconcileGraceSeconds") ?? 30));
}
