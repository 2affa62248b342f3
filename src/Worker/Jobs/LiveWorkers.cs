using Hangfire;

namespace Shears.Worker.Jobs;

/// <summary>The job servers that sent a heartbeat lately, as Hangfire's storage lists them, and the queues they serve.</summary>
public sealed class LiveWorkers(JobStorage storage)
{
    /// <summary>Hangfire servers beat every 30 s; one silent for longer than this has stopped.</summary>
    private static readonly TimeSpan Silence = TimeSpan.FromMinutes(2);

    public bool AnyServes(string queue) => Queues().Any(queues => queues.Contains(queue));

    /// <summary>Who is live, in words: "1 worker (queues: cpu)", or "no worker".</summary>
    public string Describe()
    {
        var live = Queues();
        return live.Count == 0
            ? "no worker"
            : string.Join(", ", live.GroupBy(queues => string.Join(", ", queues.Order()))
                .Select(g => $"{g.Count()} worker{(g.Count() == 1 ? "" : "s")} (queues: {g.Key})"));
    }

    private List<IReadOnlyList<string>> Queues()
        => [.. storage.GetMonitoringApi().Servers()
            .Where(server => server.Heartbeat is { } beat && DateTime.UtcNow - beat < Silence)
            .Select(server => (IReadOnlyList<string>)[.. server.Queues])];
}
