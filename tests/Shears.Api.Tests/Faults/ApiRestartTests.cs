using System.Diagnostics;
using System.Net;
using Npgsql;
using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests.Faults;

/// <summary>
/// The Api is killed outright (SIGKILL) at a bad moment and a new one starts in its place: a job runs on a worker
/// while a client streams it, two accepted jobs never reached Hangfire, and one reached it but the Api died before
/// it recorded the hand-off. Nothing is lost and nothing runs twice; the new Api's reconciler queues the lost ones.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class ApiRestartTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const string QueuedAgain = "No worker held this job; it was queued again.";

    /// <summary>The first Api never reconciles (a long grace), so whatever gets queued again is the new Api's doing.</summary>
    private static readonly Dictionary<string, string> FirstApi = new() { ["Jobs__ReconcileGraceSeconds"] = "3600" };

    private static readonly Dictionary<string, string> RestartedApi = new()
    {
        ["Jobs__ReconcileIntervalSeconds"] = "1",
        ["Jobs__ReconcileGraceSeconds"] = "1",
    };

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Jobs_accepted_before_the_Api_is_killed_each_finish_exactly_once_and_the_stream_resumes_across_the_restart()
    {
        using var scene = await DistributedScene.StartAsync(postgres, FirstApi);
        var client = scene.Client;
        var modelId = await (await client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx")))).CreatedIdAsync();
        var datasetId = await (await client.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();
        Task<Guid> Submit(object options) => client.CreateJobAsync(modelId, datasetId, new { flops = 0.5 }, options).ContinueWith(t => t.Result.CreatedIdAsync()).Unwrap();

        // The long job keeps the only worker busy, so the others wait in the queue while the Api dies and after the
        // new one has reconciled. 6,400 steps (about a minute on a quiet machine): 640 ended before the reconcile.
        var running = await Submit(new { epochs = 400, batchSize = 50 });
        var fineTuning = new TaskCompletionSource();
        using var stream = new ResumingEventReader(client, running);
        var reading = stream.ReadToEndAsync(TimeSpan.FromMinutes(8), e =>
        {
            if (e.Type == "progress" && e.Json.GetProperty("message").GetString()!.StartsWith("fine-tuning step", StringComparison.Ordinal))
            {
                fineTuning.TrySetResult();
            }
            return Task.CompletedTask;
        });
        await fineTuning.Task.WaitAsync(TimeSpan.FromMinutes(3));

        // Accepted, committed, but Hangfire could not take them (the hand-off never happened).
        await ExecuteAsync(scene.Database, "ALTER TABLE hangfire.job RENAME TO job_unreachable");
        Guid[] neverHandedOff;
        try
        {
            neverHandedOff = [await Submit(new { steps = 20 }), await Submit(new { steps = 20 })];
        }
        finally
        {
            await ExecuteAsync(scene.Database, "ALTER TABLE hangfire.job_unreachable RENAME TO job");
        }
        // Handed off normally; and handed off, but the Api died before it wrote down Hangfire's id.
        var handedOff = await Submit(new { steps = 20 });
        var unrecorded = await Submit(new { steps = 20 });
        await ExecuteAsync(scene.Database, $"UPDATE jobs SET dispatch_id = NULL WHERE id = '{unrecorded}'");
        var lost = new HashSet<Guid>([.. neverHandedOff, unrecorded]);
        Assert.Equal(["", ""], await Sql.ColumnAsync(scene.Database,
            $"SELECT coalesce(dispatch_id, '') FROM jobs WHERE id IN ('{neverHandedOff[0]}', '{neverHandedOff[1]}')"));

        var firstApiOutput = scene.Api.Process.Output;
        var clock = Stopwatch.StartNew();
        await scene.RestartApiAsync(RestartedApi);
        var upAfter = clock.Elapsed;
        while (lost.Any(id => !scene.Api.Process.Output.Contains($"Job {id} was held by no worker", StringComparison.Ordinal)))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"not every lost job was queued again:\n{scene.Api.Process.Output}");
            await Task.Delay(100);
        }
        output.WriteLine($"the new Api answered {upAfter.TotalSeconds:F1} s after the kill and had queued the lost jobs again {clock.Elapsed.TotalSeconds:F1} s after it");
        Assert.Equal("running", (await client.GetJsonAsync($"/v1/jobs/{running}")).GetProperty("status").GetString());
        await reading;
        output.WriteLine($"stream of the running job: {stream.Events.Count} events, {stream.Resumes} resumes; errors: {string.Join(" | ", stream.Errors)}");

        // The client that streamed through the restart saw every event once, in order, and the job's end.
        Assert.True(stream.Resumes >= 1, "the stream was never broken by the kill");
        Assert.Equal(Enumerable.Range(1, stream.Events.Count).Select(i => (long)i), stream.Events.Select(e => e.Id));
        Assert.True(stream.Events[^1].Json.GetProperty("status").GetString() == "succeeded",
            string.Join("\n", stream.Events.Select(e => e.Data)) + scene.Worker.Output);

        Guid[] all = [running, .. neverHandedOff, handedOff, unrecorded];
        foreach (var jobId in all)
        {
            var events = await client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(6));
            var statuses = events.Where(e => e.Type == "status").Select(e => e.Json.GetProperty("status").GetString()).ToList();
            var logs = events.Where(e => e.Type == "log").Select(e => e.Json.GetProperty("message").GetString()).ToList();
            output.WriteLine($"{jobId}: {string.Join(",", statuses)}; {logs.Count(l => l == QueuedAgain)} × queued again");

            // One run, one success, one sequence with no gap or repeat.
            Assert.True(statuses.SequenceEqual(["queued", "running", "succeeded"]), $"{jobId}: {string.Join(",", statuses)}\n{scene.Worker.Output}");
            Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Id));
            var job = await client.GetJsonAsync($"/v1/jobs/{jobId}");
            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            Assert.Equal(1, job.GetProperty("attempts").GetInt32());
            // The reconciler of the new Api queued exactly the lost ones again, and only those.
            Assert.Equal(lost.Contains(jobId) ? 1 : 0, logs.Count(l => l == QueuedAgain));
        }
        // The first Api knew it had not handed those two over, and left them to the reconciler.
        Assert.All(neverHandedOff, id => Assert.Contains($"Job {id} is queued in the database but Hangfire did not take it", firstApiOutput, StringComparison.Ordinal));
        Assert.DoesNotContain("was held by no worker", firstApiOutput, StringComparison.Ordinal);
        // One pruned model per job, beside the uploaded one.
        Assert.Equal(1 + all.Length, (await client.GetJsonAsync("/v1/models")).GetProperty("count").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
    }

    private static async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
