using System.Diagnostics;
using System.Net;
using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests.Faults;

/// <summary>
/// The test's PostgreSQL is stopped under a running Api and worker: requests are answered 503 with Retry-After within
/// seconds (they hung about a minute in EF's retries, then answered 500), <c>/healthz</c> stays live, <c>/readyz</c>
/// says 503 at once, the worker keeps waiting, and everything answers again once the server is back.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class DatabaseOutageTests(PostgresServer postgres, ITestOutputHelper output)
{
    /// <summary>Generous for a loaded machine: this tells a fast answer from a minute of retries, it is no benchmark.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(10);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task With_the_database_down_requests_get_a_prompt_503_with_Retry_After_and_health_stays_live()
    {
        using var scene = await DistributedScene.StartAsync(postgres);
        var client = scene.Client;
        var onnx = await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx"));
        var modelId = await (await client.UploadModelAsync(onnx)).CreatedIdAsync();

        await postgres.WhileDownAsync(async () =>
        {
            await AssertUnavailableAsync("GET /v1/models", () => client.GetAsync("/v1/models"));
            await AssertUnavailableAsync("GET /v1/models/{id}", () => client.GetAsync($"/v1/models/{modelId}"));
            await AssertUnavailableAsync("POST /v1/jobs", () => client.CreateJobAsync(modelId, Guid.NewGuid()));
            await AssertUnavailableAsync("POST /v1/models", () => client.UploadModelAsync(onnx));
            await AssertUnavailableAsync("DELETE /v1/models/{id}", () => client.DeleteAsync($"/v1/models/{modelId}"));

            var (ready, readyTime) = await TimedAsync(() => client.GetAsync("/readyz"));
            output.WriteLine($"GET /readyz: {(int)ready.StatusCode} in {readyTime.TotalSeconds:F2} s");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.True(readyTime < Prompt, $"/readyz took {readyTime.TotalSeconds:F1} s");
            var (live, liveTime) = await TimedAsync(() => client.GetAsync("/healthz"));
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.True(liveTime < Prompt, $"/healthz took {liveTime.TotalSeconds:F1} s");
        });

        // Back: the same Api answers again by itself, and the worker waited instead of giving up.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await client.GetAsync("/readyz")).StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }
        Assert.Equal(modelId, (await client.GetJsonAsync($"/v1/models/{modelId}")).GetProperty("id").GetGuid());
        Assert.False(scene.Worker.HasExited, scene.Worker.Output);
        Assert.False(scene.Api.Process.HasExited, scene.Api.Process.Output);
    }

    private async Task AssertUnavailableAsync(string call, Func<Task<HttpResponseMessage>> send)
    {
        var (response, elapsed) = await TimedAsync(send);
        output.WriteLine($"{call}: {(int)response.StatusCode} in {elapsed.TotalSeconds:F2} s, Retry-After {response.Headers.RetryAfter}");
        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "database");
        Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 }, $"{call}: no Retry-After");
        Assert.True(elapsed < Prompt, $"{call} took {elapsed.TotalSeconds:F1} s");
    }

    private static async Task<(HttpResponseMessage Response, TimeSpan Elapsed)> TimedAsync(Func<Task<HttpResponseMessage>> send)
    {
        var clock = Stopwatch.StartNew();
        var response = await send();
        return (response, clock.Elapsed);
    }
}
