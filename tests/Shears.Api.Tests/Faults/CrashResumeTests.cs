using System.Text.Json;
using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests.Faults;

/// <summary>
/// A worker process killed outright (SIGKILL) in the middle of a job, in its pruning phase or in fine-tuning: once its
/// heartbeat is stale, the job is taken up by another worker, which resumes from the last checkpoint of that phase
/// rather than from zero, and ends exactly where an uninterrupted run of the same seed ends. Checkpoints live in the
/// shared artifact folder, or in an S3-compatible bucket when the processes share no folder.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class CrashResumeTests(PostgresServer postgres, ITestOutputHelper output)
{
    /// <summary>One libtorch thread per worker, so that two runs of one seed in two processes sum in the same order.</summary>
    private static readonly Dictionary<string, string> FastRecovery = new()
    {
        ["Jobs__StaleAfterSeconds"] = "20",
        ["Jobs__ReconcileIntervalSeconds"] = "1",
        ["Jobs__ReconcileGraceSeconds"] = "1",
        ["Engine__Threads"] = "1",
    };

    public static TheoryData<string, string, int, string, bool> Kills => new()
    {
        // Killed in the Fisher rounds, after the third removal decision (a checkpoint is saved at each: rounds of 20 steps, saves every 20).
        { "fisher", "removed ", 60, "fisher-rounds", false },
        // Killed while fine-tuning, once a checkpoint of it was saved (every 20 steps).
        { "magnitude", "fine-tuning step ", 40, "fine-tuning", false },
        // The same with the checkpoint in a bucket (real s3rver); the processes' artifact folder must never appear.
        { "magnitude", "fine-tuning step ", 40, "fine-tuning", true },
    };

    [Theory]
    [Trait("Category", "Slow")]
    [MemberData(nameof(Kills))]
    public async Task A_job_whose_worker_is_killed_resumes_from_its_checkpoint_and_matches_an_uninterrupted_run(string method, string killOnMessage,
        int killAfterStep, string resumedIn, bool inBucket)
    {
        await using var s3 = inBucket ? await S3Server.StartAsync() : null;
        var noFolder = Path.Combine(Path.GetTempPath(), $"shears-no-folder-{Guid.NewGuid():N}");
        var settings = new Dictionary<string, string>(FastRecovery);
        foreach (var (key, value) in s3?.Settings.Append(new("Artifacts__Path", noFolder)) ?? [])
        {
            settings[key] = value;
        }
        var options = new { epochs = 20, batchSize = 50, seed = 7, checkpointEverySteps = 20, stepsPerPrune = 20, scope = "layer" };
        object jobOptions = method == "fisher" ? new { options.epochs, options.batchSize, options.seed, options.checkpointEverySteps, options.stepsPerPrune }
            : new { options.epochs, options.batchSize, options.seed, options.checkpointEverySteps, options.scope };
        using var scene = await DistributedScene.StartAsync(postgres, settings);
        var client = scene.Client;
        // The reference: the same request, never interrupted, on the scene's first worker.
        var reference = await scene.QueueJobAsync(jobOptions, method, "tiny_mlp");
        await WaitForAsync(client, reference, job => job.GetProperty("status").GetString() == "running");

        // The victim runs on a second worker, which is killed in the chosen phase; a third takes over.
        WorkerProcess? resumer = null;
        using var victim = scene.StartWorker();
        try
        {
            var jobId = await scene.QueueJobAsync(jobOptions, method, "tiny_mlp");
            var killedAfter = 0;
            using var stream = new ResumingEventReader(client, jobId);
            await stream.ReadToEndAsync(TimeSpan.FromMinutes(6), e =>
            {
                if (resumer is null && e.Type == "progress" && e.Json.GetProperty("message").GetString()!.StartsWith(killOnMessage, StringComparison.Ordinal)
                    && e.Json.GetProperty("step").GetInt32() >= killAfterStep)
                {
                    victim.Process.Kill();
                    killedAfter = e.Json.GetProperty("step").GetInt32();
                    resumer = scene.StartWorker();
                }
                return Task.CompletedTask;
            });
            var referenceEvents = await client.ReadEventsAsync(reference, TimeSpan.FromMinutes(6));
            var resumed = stream.Events.Where(e => e.Type == "log").Select(e => e.Json.GetProperty("message").GetString()!)
                .FirstOrDefault(m => m.StartsWith("Resumed from the checkpoint", StringComparison.Ordinal));
            output.WriteLine($"victim pid {victim.Process.Id} killed after the event of step {killedAfter}; resumer pid {resumer?.Process.Id}: {resumed}");
            output.WriteLine($"last status: {stream.Events.Last(e => e.Type == "status").Data}");

            // One sequence, two starts, one success; the second start went on from a checkpoint of the phase the kill hit.
            Assert.Equal(Enumerable.Range(1, stream.Events.Count).Select(i => (long)i), stream.Events.Select(e => e.Id));
            var statuses = stream.Events.Where(e => e.Type == "status").Select(e => e.Json.GetProperty("status").GetString()).ToList();
            Assert.Equal(["queued", "running", "running", "succeeded"], statuses);
            Assert.True(resumed is not null, string.Join("\n", stream.Events.Select(e => e.Data)) + resumer?.Output);
            Assert.StartsWith($"Resumed from the checkpoint saved after {resumedIn} step ", resumed, StringComparison.Ordinal);
            Assert.Equal("succeeded", referenceEvents[^1].Json.GetProperty("status").GetString());

            // Exactly one result, and it is the uninterrupted run's.
            var job = await client.GetJsonAsync($"/v1/jobs/{jobId}");
            var uninterrupted = await client.GetJsonAsync($"/v1/jobs/{reference}");
            var (after, expected) = (job.GetProperty("result").GetProperty("after"), uninterrupted.GetProperty("result").GetProperty("after"));
            output.WriteLine($"resumed: {after}\nuninterrupted: {expected}");
            Assert.Equal(expected.GetProperty("params").GetInt64(), after.GetProperty("params").GetInt64());
            Assert.Equal(expected.GetProperty("flops").GetInt64(), after.GetProperty("flops").GetInt64());
            Assert.Equal(expected.GetProperty("accuracy").GetDouble(), after.GetProperty("accuracy").GetDouble());
            Assert.Equal(uninterrupted.GetProperty("result").GetProperty("layers").ToString(), job.GetProperty("result").GetProperty("layers").ToString());
            var (loss, expectedLoss) = (LastLoss(stream.Events), LastLoss(referenceEvents));
            output.WriteLine($"last fine-tuning loss: resumed {loss}, uninterrupted {expectedLoss}");
            Assert.Equal(expectedLoss, loss);
            var models = (await client.GetJsonAsync("/v1/models")).GetProperty("data").EnumerateArray()
                .Count(m => m.GetProperty("name").GetString()!.Contains($"pruned by job {jobId:N}", StringComparison.Ordinal));
            Assert.Equal(1, models);
            // The checkpoint went with the job's end: only the downloads are left.
            Assert.DoesNotContain("checkpoint.safetensors", job.GetProperty("artifacts").EnumerateArray().Select(a => a.GetString()));
            Assert.False(Directory.Exists(noFolder), "a process wrote to the artifacts folder instead of the bucket");
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
