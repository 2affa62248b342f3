using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Shears.Domain.Persistence;

namespace Shears.Worker.Telemetry;

/// <summary>
/// <c>shears.jobs</c>: the jobs the database holds, by state, counted when the metrics are collected (the database is
/// the truth, whichever process moved a job). The Api registers it; its meter goes with the host.
/// </summary>
public sealed class JobStateGauge
{
    public JobStateGauge(IMeterFactory meters, IDbContextFactory<ShearsDbContext> contexts)
    {
        meters.Create(ShearsTelemetry.Name).CreateObservableGauge("shears.jobs", () => Count(contexts), "{job}", "Jobs by state.");
    }

    private static List<Measurement<long>> Count(IDbContextFactory<ShearsDbContext> contexts)
    {
        using var db = contexts.CreateDbContext();
        var counts = db.Jobs.GroupBy(j => j.Status).Select(g => new { Status = g.Key, Count = g.LongCount() }).ToDictionary(g => g.Status, g => g.Count);
        return Enum.GetValues<JobStatus>()
            .Select(status => new Measurement<long>(counts.GetValueOrDefault(status), new KeyValuePair<string, object?>("state", status.ToWire())))
            .ToList();
    }
}
