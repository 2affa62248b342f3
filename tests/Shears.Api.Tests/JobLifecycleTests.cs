using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests;

/// <summary>Cancelling a running job, and a job that outlives the process that queued it.</summary>
public sealed class JobLifecycleTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task Cancelling_a_running_job_stops_it_within_a_step_and_leaves_no_result()
    {
        using var api = new ShearsApiFactory(withKeys: false);
        var client = api.ClientFor(null);
        var jobId = await QueueJobAsync(client, new { epochs = 500 }); // minutes of training: only the cancel can end it early
        var clock = new Stopwatch();

        var events = await client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(5), onEvent: async e =>
        {
            if (e.Type == "progress" && !clock.IsRunning)
            {
                clock.Start();
                Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/v1/jobs/{jobId}/cancel", null)).StatusCode);
            }
        });

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the job took {clock.Elapsed} to stop");
        Assert.Equal("cancelled", events[^1].Json.GetProperty("status").GetString());
        var job = await client.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("result").ValueKind);
        Assert.Empty(job.GetProperty("artifacts").EnumerateArray());
        Assert.Equal(1, (await client.GetJsonAsync("/v1/models")).GetProperty("count").GetInt32()); // no pruned model registered
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData(0)]
    [InlineData(40)]
    [InlineData(150)]
    public async Task A_cancel_racing_the_jobs_end_is_either_accepted_and_wins_or_refused_as_too_late(int delayMs)
    {
        using var api = new ShearsApiFactory(withKeys: false);
        var client = api.ClientFor(null);
        var jobId = await QueueJobAsync(client, new { epochs = 0.2 });
        HttpStatusCode? cancel = null;

        // The engine's last progress event ("done") comes just before the worker stores the result.
        await client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(5), onEvent: async e =>
        {
            if (e.Type == "progress" && cancel is null && e.Json.TryGetProperty("message", out var message) && message.GetString() == "done")
            {
                await Task.Delay(delayMs);
                cancel = (await client.PostAsync($"/v1/jobs/{jobId}/cancel", null)).StatusCode;
            }
        });

        var job = await client.GetJsonAsync($"/v1/jobs/{jobId}");
        var status = job.GetProperty("status").GetString();
        Assert.True(cancel is HttpStatusCode.Accepted or HttpStatusCode.Conflict, $"cancel answered {cancel}");
        // 202 promises a cancelled job; 409 says it had already succeeded.
        Assert.Equal(cancel == HttpStatusCode.Accepted ? "cancelled" : "succeeded", status);
        Assert.Equal(status == "succeeded", job.GetProperty("artifacts").GetArrayLength() > 0);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_job_queued_before_a_restart_is_queued_again_by_the_reconciler_and_runs()
    {
        Guid jobId;
        string dataDirectory;
        // First life: the Api accepts the job but serves no queue, then stops; its in-memory queue is lost.
        using (var first = new ShearsApiFactory(withKeys: false, keepData: true,
            extra: new Dictionary<string, string?> { ["Worker:Queues"] = "none" }))
        {
            dataDirectory = first.DataDirectory;
            jobId = await QueueJobAsync(first.ClientFor(null), new { epochs = 0.2 });
        }
        try
        {
            using var second = new ShearsApiFactory(withKeys: false, dataDirectory: dataDirectory, extra: new Dictionary<string, string?>
            {
                ["Jobs:ReconcileIntervalSeconds"] = "1",
                ["Jobs:ReconcileGraceSeconds"] = "1",
            });
            var client = second.ClientFor(null);
            var events = await client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(5));

            Assert.Contains(events, e => e.Type == "log" && e.Json.GetProperty("message").GetString()!.Contains("queued again", StringComparison.Ordinal));
            Assert.Equal("succeeded", events[^1].Json.GetProperty("status").GetString());
            Assert.Equal(1, (await client.GetJsonAsync($"/v1/jobs/{jobId}")).GetProperty("attempts").GetInt32());
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static async Task<Guid> QueueJobAsync(HttpClient client, object options)
    {
        var modelId = await (await client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_cnn.onnx")))).CreatedIdAsync();
        var datasetId = await (await client.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();
        return await (await client.CreateJobAsync(modelId, datasetId, new { flops = 0.5 }, options)).CreatedIdAsync();
    }
}
