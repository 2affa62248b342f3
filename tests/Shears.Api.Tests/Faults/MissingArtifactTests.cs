using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests.Faults;

/// <summary>
/// A worker that does not share the Api's artifacts folder, as when the Api and the Worker are each started with
/// <c>dotnet run</c> in their own project folder and so each with its own default <c>data/artifacts</c>. The job's
/// model is not there: the job fails on its first attempt, and its error names the missing file and the setting to
/// fix. (It used to be retried as a transient fault, twice, and fail after three attempts with a
/// DirectoryNotFoundException that only the worker's log named: a missing file does not come back by itself.)
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class MissingArtifactTests(PostgresServer postgres, ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_worker_without_the_Apis_artifacts_fails_the_job_at_once_naming_the_missing_file()
    {
        using var scene = await DistributedScene.StartAsync(postgres);
        scene.Worker.Process.Kill();
        var ownFolder = Path.Combine(scene.Api.DataDirectory, "worker-own-artifacts");
        using var worker = new WorkerProcess(scene.Database, ownFolder);
        var client = scene.Client;
        var modelId = await (await client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx")))).CreatedIdAsync();
        var datasetId = await (await client.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();

        var jobId = await (await client.CreateJobAsync(modelId, datasetId, new { flops = 0.5 }, new { steps = 20 })).CreatedIdAsync();
        var events = await client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(3));

        var statuses = events.Where(e => e.Type == "status").Select(e => e.Json.GetProperty("status").GetString()).ToList();
        Assert.True(statuses.SequenceEqual(["queued", "running", "failed"]), $"{string.Join(",", statuses)}\n{worker.Output}");
        var job = await client.GetJsonAsync($"/v1/jobs/{jobId}");
        var error = job.GetProperty("error").GetString()!;
        output.WriteLine(error);
        Assert.StartsWith($"The artifacts folder has no file {Path.Combine(Path.GetFullPath(ownFolder), "objects")}", error, StringComparison.Ordinal);
        Assert.Contains("give them all the same Artifacts__Path", error, StringComparison.Ordinal);
        Assert.Equal(error, events[^1].Json.GetProperty("message").GetString());
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());

        // Hangfire saw the run end normally: no failed state, no retry scheduled.
        Assert.Equal(["Enqueued", "Processing", "Succeeded"], await Sql.HangfireStatesAsync(scene.Database, jobId));
    }
}
