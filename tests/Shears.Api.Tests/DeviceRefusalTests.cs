using System.Net;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests;

/// <summary>
/// <c>device: cuda</c> on a service whose workers have no CUDA (this machine has none) is refused at submission, naming
/// what the live workers serve, through real HTTP to a real Api process; before, it was accepted and its job failed.
/// </summary>
public sealed class DeviceRefusalTests(EmbeddedApi api) : IClassFixture<EmbeddedApi>
{
    [Fact]
    public async Task A_cuda_job_without_a_live_CUDA_worker_is_refused_naming_the_live_workers()
    {
        var client = api.Client;
        var modelId = await (await client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx")))).CreatedIdAsync();
        var datasetId = await (await client.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();

        // The in-process worker registers with Hangfire shortly after the Api answers; until then no worker is live.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string detail;
        while (true)
        {
            var response = await client.CreateJobAsync(modelId, datasetId, options: new { device = "cuda" });
            detail = (await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "cuda", "gpu queue")).GetProperty("detail").GetString()!;
            if (detail.Contains("queues: cpu", StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                break;
            }
            await Task.Delay(500);
        }
        Assert.Contains("1 worker (queues: cpu)", detail, StringComparison.Ordinal);
        Assert.Equal(0, (await client.GetJsonAsync("/v1/jobs")).GetProperty("count").GetInt32());

        Assert.Equal(HttpStatusCode.Accepted, (await client.CreateJobAsync(modelId, datasetId, options: new { device = "cpu", epochs = 1 })).StatusCode);
    }
}
