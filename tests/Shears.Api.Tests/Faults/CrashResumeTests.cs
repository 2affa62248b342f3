using System.Text.Json;
using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests.Faults;

/// <summary>
/// A worker process killed outright (SIGKILL) in the middle of fine-tuning: once its heartbeat is stale, the job is
/// taken up by another worker, which resumes from the last checkpoint rather than from zero, and ends with the
/// metrics an uninterrupted run of the same seed reaches.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class CrashResumeTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const double AccuracyTolerance = 0.02;
    private const double LossTolerance = 0.01;

    private static readonly Dictionary<string, string> FastRecovery = new()
    {
        ["Jobs__StaleAfterSeconds"] = "20",
        ["Jobs__ReconcileIntervalSeconds"] = "1",
        ["Jobs__ReconcileGraceSeconds"] = "1",
    };

    private static readonly object Options = new { epochs = 4, batchSize = 50, seed = 7, checkpointEverySteps = 5 };

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_job_whose_worker_is_killed_resumes_from_its_checkpoint_and_matches_an_uninterrupted_run()
    {
        using var scene = await DistributedScene.StartAsync(postgres, FastRecovery);
        var client = scene.Client;
        // The reference: the same request, never interrupted, on the scene's first worker.
        var reference = await scene.QueueJobAsync(Options);
        await WaitForAsync(client, reference, job => job.GetProperty("status").GetString() == "running");

        // The victim runs on a second worker, which is killed once the job has a checkpoint; a third takes over.
        WorkerProcess? resumer = null;
        using var victim = scene.StartWorker();
        try
        {
            var jobId = await scene.QueueJobAsync(Options);
            await WaitForAsync(client, jobId, job => job.GetProperty("artifacts").EnumerateArray().Any(a => a.GetString() == "checkpoint.safetensors"));
            victim.Process.Kill();
            resumer = scene.StartWorker();

            using var stream = new ResumingEventReader(client, jobId);
            await stream.ReadToEndAsync(TimeSpan.FromMinutes(6));
            var referenceEvents = await client.ReadEventsAsync(reference, TimeSpan.FromMinutes(6));
            var resumed = stream.Events.Where(e => e.Type == "log").Select(e => e.Json.GetProperty("message").GetString()!)
                .FirstOrDefault(m => m.StartsWith("Resumed from the checkpoint", StringComparison.Ordinal));
            output.WriteLine($"victim pid {victim.Process.Id}, resumer pid {resumer.Process.Id}: {resumed}");

            // One sequence, two starts, one success; the second start went on from a checkpoint.
            Assert.Equal(Enumerable.Range(1, stream.Events.Count).Select(i => (long)i), stream.Events.Select(e => e.Id));
            var statuses = stream.Events.Where(e => e.Type == "status").Select(e => e.Json.GetProperty("status").GetString()).ToList();
            Assert.Equal(["queued", "running", "running", "succeeded"], statuses);
            Assert.True(resumed is not null, string.Join("\n", stream.Events.Select(e => e.Data)) + resumer.Output);
            Assert.Equal("succeeded", referenceEvents[^1].Json.GetProperty("status").GetString());

            var job = await client.GetJsonAsync($"/v1/jobs/{jobId}");
            var uninterrupted = await client.GetJsonAsync($"/v1/jobs/{reference}");
            var (after, expected) = (job.GetProperty("result").GetProperty("after"), uninterrupted.GetProperty("result").GetProperty("after"));
            output.WriteLine($"resumed: {after}\nuninterrupted: {expected}");
            Assert.Equal(expected.GetProperty("params").GetInt64(), after.GetProperty("params").GetInt64());
            Assert.Equal(expected.GetProperty("flops").GetInt64(), after.GetProperty("flops").GetInt64());
            Assert.InRange(after.GetProperty("accuracy").GetDouble() - expected.GetProperty("accuracy").GetDouble(), -AccuracyTolerance, AccuracyTolerance);
            // The training itself went on where it stopped: the last fine-tuning loss is the uninterrupted run's.
            var (loss, expectedLoss) = (LastLoss(stream.Events), LastLoss(referenceEvents));
            output.WriteLine($"last fine-tuning loss: resumed {loss}, uninterrupted {expectedLoss}");
            Assert.InRange(loss - expectedLoss, -LossTolerance, LossTolerance);
            // The checkpoint went with the job's end: only the downloads are left.
            Assert.DoesNotContain("checkpoint.safetensors", job.GetProperty("artifacts").EnumerateArray().Select(a => a.GetString()));
        }
        finally
        {
            resumer?.Dispose();
        }
    }

    private static double LastLoss(List<ServerSentEvent> events) => events
        .Where(e => e.Type == "progress" && e.Json.TryGetProperty("loss", out var loss) && loss.ValueKind == JsonValueKind.Number)
        .Select(e => e.Json.GetProperty("loss").GetDouble()).Last();

    private static async Task WaitForAsync(HttpClient client, Guid jobId, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (!condition(await client.GetJsonAsync($"/v1/jobs/{jobId}")))
        {
            Assert.True(DateTime.UtcNow < deadline, $"job {jobId} never got there");
            await Task.Delay(100);
        }
    }
}
