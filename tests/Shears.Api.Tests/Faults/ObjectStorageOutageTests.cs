using System.Security.Cryptography;
using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests.Faults;

/// <summary>
/// The bucket goes away in the middle of a job (s3rver killed while the worker trains, so its next checkpoint cannot be
/// saved) and stays away: each request is retried, then the attempt fails as an infrastructure failure, Hangfire
/// retries the job, and after its last attempt the job fails with a message that says the artifact store was the
/// cause. Nothing half-written is left: the job has no artifacts, and every object in the bucket is whole.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class ObjectStorageOutageTests(PostgresServer postgres, ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_job_whose_bucket_goes_away_is_retried_then_fails_clearly_and_leaves_nothing_half_written()
    {
        await using var s3 = await S3Server.StartAsync();
        var settings = new Dictionary<string, string>(s3.Settings) { ["Artifacts__S3__Retries"] = "2" };
        using var scene = await DistributedScene.StartAsync(postgres, settings);
        var client = scene.Client;
        var jobId = await scene.QueueJobAsync(new { epochs = 50, batchSize = 50, checkpointEverySteps = 20 }, "magnitude", "tiny_mlp");

        using var stream = new ResumingEventReader(client, jobId);
        var stopped = false;
        await stream.ReadToEndAsync(TimeSpan.FromMinutes(6), e =>
        {
            if (!stopped && e.Type == "progress" && e.Json.GetProperty("message").GetString()!.StartsWith("fine-tuning step ", StringComparison.Ordinal)
                && e.Json.GetProperty("step").GetInt32() >= 30)
            {
                s3.Stop(); // a checkpoint is in the bucket; the next one (step 40) meets no server
                stopped = true;
            }
            return Task.CompletedTask;
        });

        var logs = stream.Events.Where(e => e.Type == "log").Select(e => e.Json.GetProperty("message").GetString()!).ToList();
        var statuses = stream.Events.Where(e => e.Type == "status").Select(e => e.Json.GetProperty("status").GetString()).ToList();
        var last = stream.Events.Last(e => e.Type == "status").Json;
        output.WriteLine(string.Join("\n", logs.Append(last.ToString())));
        Assert.True(stopped, "the job never reached fine-tuning");
        Assert.True(statuses.SequenceEqual(["queued", "running", "running", "running", "failed"]), $"{string.Join(",", statuses)}\n{scene.Worker.Output}");
        const string cause = "the artifact store could not be read or written (ArtifactStoreUnavailableException)";
        Assert.Contains($"Attempt 1 failed ({cause}); it will be retried.", logs);
        Assert.Contains($"Attempt 2 failed ({cause}); it will be retried.", logs);
        Assert.Equal($"Gave up after 3 attempts; the last one failed because {cause}.", last.GetProperty("message").GetString());
        var job = await client.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Empty(job.GetProperty("artifacts").EnumerateArray());
        Assert.Empty(await Sql.ColumnAsync(scene.Database, $"SELECT name FROM job_artifacts WHERE job_id = '{jobId}'"));

        // With the bucket back: only whole objects under their content's hash (the job's last checkpoint may be among
        // them, named by no row: its deletion met no server), no temporary object, and the inputs are all there.
        await s3.StartAgainAsync();
        var keys = await s3.KeysAsync();
        output.WriteLine(string.Join("\n", keys));
        Assert.All(keys, key => Assert.StartsWith("objects/", key, StringComparison.Ordinal));
        foreach (var key in keys)
        {
            // The checkpoint's deletion is retried with back-off and may reach the server after the listing: an object
            // gone by the time it is read is not half-written.
            var bytes = await s3.ReadIfPresentAsync(key);
            if (bytes is not null)
            {
                Assert.Equal(key[(key.LastIndexOf('/') + 1)..], Convert.ToHexStringLower(SHA256.HashData(bytes)));
            }
        }
        var inputs = await Sql.ColumnAsync(scene.Database, "SELECT sha256 FROM models UNION SELECT inputs_sha256 FROM datasets UNION SELECT labels_sha256 FROM datasets");
        var keysNow = await s3.KeysAsync();
        Assert.All(inputs, sha256 => Assert.Contains($"objects/{sha256[..2]}/{sha256}", keysNow));
    }
}
