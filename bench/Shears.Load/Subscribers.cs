using System.Collections.Concurrent;
using System.Diagnostics;
using Shears.Cli.Api;

namespace Shears.Load;

/// <summary>
/// Hundreds of event-stream readers on two running jobs while job reads go on at a steady rate: every
/// reader must receive every event of its job exactly once, in order (compared with a replay after the
/// end), and the read latency is recorded as p50/p99.
/// </summary>
internal static class Subscribers
{
    public static async Task<Measured> RunAsync(ShearsClient client, LoadFixtures fixtures, int subscribers, int readsPerSecond, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        var jobs = new List<Guid>();
        for (var i = 0; i < 2; i++)
            jobs.Add(Guid.Parse((await client.CreateJobAsync(fixtures.Job(steps: 1500), timeout.Token)).GetProperty("id").GetString()!));

        var streams = Enumerable.Range(0, subscribers).Select(i => ReadAllAsync(client, jobs[i % jobs.Count], timeout.Token)).ToList();
        using var stopReads = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var reads = SteadyReadsAsync(client, jobs, readsPerSecond, stopReads.Token);
        var received = await Task.WhenAll(streams);
        await stopReads.CancelAsync();
        var (latencies, readErrors) = await reads;

        var replays = new Dictionary<Guid, long[]>();
        foreach (var job in jobs)
            replays[job] = (await ReadAllAsync(client, job, timeout.Token)).Ids;
        var exact = received.Count(r => r.Ids.SequenceEqual(replays[r.Job]));
        var inOrder = received.Count(r => r.Ids.Zip(r.Ids.Skip(1)).All(pair => pair.First < pair.Second));
        return new Measured("Event-stream fan-out and read latency",
            $"{subscribers} concurrent readers of GET /v1/jobs/{{id}}/events on 2 running jobs (magnitude, 1,500 steps); meanwhile GET /v1/jobs/{{id}} at {readsPerSecond}/s",
        [
            new("readers that got every event once, in order", $"{exact} of {subscribers}", $"{subscribers}", exact == subscribers),
            new("readers whose ids only increase", $"{inOrder} of {subscribers}", $"{subscribers}", inOrder == subscribers),
            new("events per job (replay)", string.Join(", ", replays.Values.Select(ids => ids.Length))),
            new("events delivered in all", $"{received.Sum(r => r.Ids.Length):N0}"),
            new("GET /v1/jobs/{id} p50 / p99", $"{Percentiles.Ms(Percentiles.Of(latencies, 0.5))} / {Percentiles.Ms(Percentiles.Of(latencies, 0.99))} over {latencies.Count} reads"),
            new("failed reads", $"{readErrors}", "0", readErrors == 0),
        ]);
    }

    private sealed record Received(Guid Job, long[] Ids);

    private static async Task<Received> ReadAllAsync(ShearsClient client, Guid job, CancellationToken cancellationToken)
    {
        var ids = new List<long>();
        await foreach (var jobEvent in new JobEventFeed(client).ReadAsync(job, cancellationToken))
            ids.Add(jobEvent.Id);
        return new Received(job, [.. ids]);
    }

    /// <summary>Fires reads on a fixed schedule (not one after another), so a slow answer does not slow the rate.</summary>
    private static async Task<(List<double> Latencies, int Errors)> SteadyReadsAsync(ShearsClient client, List<Guid> jobs, int perSecond,
        CancellationToken stop)
    {
        var latencies = new ConcurrentBag<double>();
        var errors = 0;
        var inFlight = new List<Task>();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / perSecond));
        var n = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var job = jobs[n++ % jobs.Count];
                inFlight.Add(Task.Run(async () =>
                {
                    var clock = Stopwatch.StartNew();
                    try
                    {
                        await client.GetJobAsync(job, CancellationToken.None);
                        latencies.Add(clock.Elapsed.TotalMilliseconds);
                    }
                    catch (Exception ex) when (ex is ApiException or HttpRequestException)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        await Task.WhenAll(inFlight);
        return ([.. latencies], errors);
    }
}
