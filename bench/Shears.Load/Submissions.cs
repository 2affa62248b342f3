using System.Diagnostics;
using Shears.Cli.Api;

namespace Shears.Load;

/// <summary>
/// Many job submissions at the same instant: every accepted job must be listed, run by one of the workers
/// and end with exactly one outcome (a succeeded job with its result and artifacts).
/// </summary>
internal static class Submissions
{
    public static async Task<Measured> RunAsync(ShearsClient client, LoadFixtures fixtures, int count, TimeSpan deadline)
    {
        var latencies = new double[count];
        var refusals = new System.Collections.Concurrent.ConcurrentBag<string>();
        var started = Stopwatch.StartNew();
        var ids = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            var clock = Stopwatch.StartNew();
            try
            {
                var job = await client.CreateJobAsync(fixtures.Job(steps: 5), CancellationToken.None);
                return Guid.Parse(job.GetProperty("id").GetString()!);
            }
            catch (Exception ex) when (ex is ApiException or HttpRequestException)
            {
                refusals.Add(ex.Message.Split('\n')[0]);
                return Guid.Empty;
            }
            finally
            {
                latencies[i] = clock.Elapsed.TotalMilliseconds;
            }
        }));
        var accepted = ids.Where(id => id != Guid.Empty).ToList();
        var statuses = await JobWaits.FinalStatusesAsync(client, accepted, deadline);
        var drained = started.Elapsed;
        var succeeded = statuses.Values.Count(s => s == "succeeded");
        var complete = 0;
        foreach (var id in statuses.Where(s => s.Value == "succeeded").Select(s => s.Key))
        {
            var job = await client.GetJobAsync(id, CancellationToken.None);
            complete += job.TryGetProperty("result", out var result) && result.ValueKind == System.Text.Json.JsonValueKind.Object
                && job.GetProperty("artifacts").GetArrayLength() > 0 ? 1 : 0;
        }
        return new Measured("Concurrent job submissions", $"{count} POST /v1/jobs at once (magnitude, 5 steps, tiny MLP), then wait for all",
        [
            new("accepted", $"{accepted.Count} of {count}", $"{count}", accepted.Count == count),
            new("refused", refusals.IsEmpty ? "0" : string.Join("; ", refusals.GroupBy(r => r).Select(g => $"{g.Count()} × {g.Key}"))),
            new("distinct ids", $"{accepted.Distinct().Count()}", $"{accepted.Count}", accepted.Distinct().Count() == accepted.Count),
            new("finished (any final status)", $"{statuses.Count}", $"{accepted.Count} (none lost)", statuses.Count == accepted.Count),
            new("succeeded with result and artifacts", $"{complete} of {succeeded} succeeded", $"{accepted.Count}", complete == accepted.Count),
            new("submission latency p50 / p99", $"{Percentiles.Ms(Percentiles.Of(latencies, 0.5))} / {Percentiles.Ms(Percentiles.Of(latencies, 0.99))}"),
            new("all jobs done after", $"{drained.TotalSeconds:F0} s ({accepted.Count / drained.TotalMinutes:F0} jobs/min on two workers)"),
        ]);
    }
}
