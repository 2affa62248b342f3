using System.Diagnostics;
using System.Net;
using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests.Faults;

/// <summary>
/// The real PostgreSQL cluster is restarted (every session cut) while a worker process runs a job and a client
/// streams its events from a real Api process: nobody is restarted by hand, and the job still ends exactly once.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class DatabaseRestartTests(PostgresServer postgres, ITestOutputHelper output)
{
    /// <summary>Long enough that the worker's progress writes, heartbeats and Hangfire's polling all meet a dead server.</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(8);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_job_survives_a_database_restart_and_the_stream_resumes_without_loss_or_repeat()
    {
        using var scene = await DistributedScene.StartAsync(postgres);
        var (api, worker, client) = (scene.Api, scene.Worker, scene.Client);
        var jobId = await scene.QueueJobAsync(new { epochs = 4, batchSize = 50 });

        using var stream = new ResumingEventReader(client, jobId);
        Task? restart = null;
        var restartClock = new Stopwatch();
        await stream.ReadToEndAsync(TimeSpan.FromMinutes(6), e =>
        {
            if (e.Type == "progress" && restart is null)
            {
                // Mid-job: cut every connection of the Api and the worker, and drop the client's stream with them.
                restartClock.Start();
                restart = postgres.RestartAsync(Outage).ContinueWith(t => { restartClock.Stop(); return t; }, TaskScheduler.Default).Unwrap();
                stream.Drop();
            }
            return Task.CompletedTask;
        });
        Assert.NotNull(restart);
        await restart;
        output.WriteLine($"the database was away for {restartClock.Elapsed.TotalSeconds:F1} s; {stream.Events.Count} events, {stream.Resumes} resumes; errors: {string.Join(" | ", stream.Errors)}");

        // Every event once, in order, with one increasing sequence; one final status, and it is success.
        Assert.Equal(Enumerable.Range(1, stream.Events.Count).Select(i => (long)i), stream.Events.Select(e => e.Id));
        var statuses = stream.Events.Where(e => e.Type == "status").Select(e => e.Json.GetProperty("status").GetString()).ToList();
        Assert.True(statuses.Count(s => s is "succeeded" or "failed" or "cancelled") == 1 && statuses[^1] == "succeeded",
            $"{string.Join(",", statuses)}\n{worker.Output}");
        Assert.True(stream.Resumes >= 1);

        var job = await client.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        // Exactly one result: one pruned model, one set of artifacts, and the database agrees with the stream.
        Assert.Equal(2, (await client.GetJsonAsync("/v1/models")).GetProperty("count").GetInt32());
        var artifacts = job.GetProperty("artifacts").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.Equal(artifacts.Distinct().Count(), artifacts.Count);
        Assert.Equal(stream.Events.Count, (await Sql.ColumnAsync(scene.Database, $"SELECT sequence FROM job_events WHERE job_id = '{jobId}'")).Count);

        // Both processes are still up and reach the database again by themselves.
        Assert.False(worker.HasExited, worker.Output);
        Assert.False(api.Process.HasExited, api.Process.Output);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
    }
}
