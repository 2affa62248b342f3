using System.Security.Cryptography;
using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests.Faults;

/// <summary>
/// A failure of the infrastructure, not of the job: the model's file is missing from the artifact volume when the
/// worker process starts the job (as with a shared volume that is briefly away). The attempt is given back, Hangfire
/// retries it after its delay, and with the file back the second attempt succeeds. (A database that goes away for a
/// moment is absorbed by EF Core's own retries: DatabaseRestartTests.)
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class InfrastructureRetryTests(PostgresServer postgres, ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_job_whose_artifact_volume_fails_it_is_retried_by_Hangfire_and_succeeds_on_its_second_attempt()
    {
        using var scene = await DistributedScene.StartAsync(postgres);
        var client = scene.Client;
        var onnx = await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx"));
        var modelId = await (await client.UploadModelAsync(onnx)).CreatedIdAsync();
        var datasetId = await (await client.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(onnx));
        var stored = Path.Combine(scene.Api.ArtifactsPath, "objects", sha256[..2], sha256);
        var away = Path.Combine(scene.Api.DataDirectory, "away.onnx");
        File.Move(stored, away);

        var jobId = await (await client.CreateJobAsync(modelId, datasetId, new { flops = 0.5 }, new { steps = 20 })).CreatedIdAsync();
        using var stream = new ResumingEventReader(client, jobId);
        await stream.ReadToEndAsync(TimeSpan.FromMinutes(3), e =>
        {
            if (e.Type == "log" && e.Json.GetProperty("message").GetString()!.StartsWith("Attempt 1 failed", StringComparison.Ordinal))
            {
                File.Move(away, stored); // the volume is back before Hangfire's retry
            }
            return Task.CompletedTask;
        });

        var logs = stream.Events.Where(e => e.Type == "log").Select(e => e.Json.GetProperty("message").GetString()!).ToList();
        var statuses = stream.Events.Where(e => e.Type == "status").Select(e => e.Json.GetProperty("status").GetString()).ToList();
        output.WriteLine(string.Join("\n", logs));
        Assert.True(statuses.SequenceEqual(["queued", "running", "running", "succeeded"]), $"{string.Join(",", statuses)}\n{scene.Worker.Output}");
        Assert.Contains("Attempt 1 failed (the artifact store could not be read or written (FileNotFoundException)); it will be retried.", logs);
        Assert.Equal(Enumerable.Range(1, stream.Events.Count).Select(i => (long)i), stream.Events.Select(e => e.Id));
        var job = await client.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.Equal(2, job.GetProperty("attempts").GetInt32());

        // Hangfire did the retrying: the first run failed, and the failure was turned into a scheduled retry.
        var dispatchId = (await Sql.ColumnAsync(scene.Database, $"SELECT dispatch_id FROM jobs WHERE id = '{jobId}'")).Single();
        var states = await Sql.ColumnAsync(scene.Database, $"SELECT name FROM hangfire.state WHERE jobid = {dispatchId} ORDER BY id");
        output.WriteLine($"Hangfire: {string.Join(" → ", states)}");
        Assert.Equal(["Enqueued", "Processing", "Failed", "Scheduled", "Enqueued", "Processing", "Succeeded"], states);
    }
}
