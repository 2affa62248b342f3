using System.Diagnostics;
using Shears.Cli.Api;

namespace Shears.Load;

/// <summary>Time from a job's submission to the first event its worker writes ("running"), one job at a time on idle workers.</summary>
internal static class FirstEventLatency
{
    public static async Task<Measured> RunAsync(ShearsClient client, LoadFixtures fixtures, int count, TimeSpan deadline)
    {
        var latencies = new List<double>();
        for (var i = 0; i < count; i++)
        {
            using var timeout = new CancellationTokenSource(deadline);
            var clock = Stopwatch.StartNew();
            var id = Guid.Parse((await client.CreateJobAsync(fixtures.Job(steps: 5), timeout.Token)).GetProperty("id").GetString()!);
            await foreach (var jobEvent in new JobEventFeed(client).ReadAsync(id, timeout.Token))
            {
                if (jobEvent.Status == "running" && latencies.Count == i)
                    latencies.Add(clock.Elapsed.TotalMilliseconds);
            }
        }
        return new Measured("Enqueue → first worker event", $"{count} jobs submitted one after another on idle workers; clock from POST to the 'running' event on the stream",
        [
            new("p50 / max", $"{Percentiles.Ms(Percentiles.Of(latencies, 0.5))} / {Percentiles.Ms(latencies.DefaultIfEmpty(double.NaN).Max())}"),
            new("jobs that reported running", $"{latencies.Count} of {count}", $"{count}", latencies.Count == count),
        ]);
    }
}
