using System.Net;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests;

public sealed class JobValidationTests : IDisposable
{
    private readonly ShearsApiFactory _api = new();

    private HttpClient Client => _api.ClientFor(ShearsApiFactory.AlphaKey);

    [Theory]
    [InlineData("pruneharder", null, "Unknown method")]
    [InlineData("magnitude", 1.5, "between 0 and 1")]
    [InlineData("magnitude", 0.0, "between 0 and 1")]
    public async Task A_bad_method_or_target_is_refused_with_422_before_anything_is_queued(string method, double? flops, string mention)
    {
        var response = await Client.CreateJobAsync(Guid.NewGuid(), Guid.NewGuid(), flops is null ? new { flops = 0.5 } : new { flops }, method: method);
        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, mention);
        Assert.Equal(0, (await Client.GetJsonAsync("/v1/jobs")).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_missing_target_is_refused_with_422()
    {
        var response = await Client.PostAsync("/v1/jobs", System.Net.Http.Json.JsonContent.Create(new { modelId = Guid.NewGuid(), datasetId = Guid.NewGuid(), method = "l0" }));
        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "target");
    }

    [Fact]
    public async Task Bad_options_are_each_named_in_the_422()
    {
        var response = await Client.CreateJobAsync(Guid.NewGuid(), Guid.NewGuid(),
            options: new { batchSize = "big", learningRate = -1, norm = "l7", beta = 2.0, colour = "red" });
        var problem = await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        var errors = problem.GetProperty("errors");
        Assert.Contains("whole number", errors.GetProperty("options.batchSize")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("greater than 0", errors.GetProperty("options.learningRate")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("\"l1\", \"l2\"", errors.GetProperty("options.norm")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("fisher only", errors.GetProperty("options.beta")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("Unknown option", errors.GetProperty("options.colour")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_whose_input_does_not_fit_the_dataset_is_refused_with_422()
    {
        var modelId = await (await Client.UploadModelAsync(File.ReadAllBytes(RepoPaths.Fixture("tiny_mlp.onnx")))).CreatedIdAsync();
        var fashion = await (await Client.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();
        var smallImages = await (await Client.UploadDatasetAsync(
            Idx.Bytes([20, 14, 14], i => (byte)i), Idx.Bytes([20], i => (byte)(i % 10)))).CreatedIdAsync();

        var response = await Client.CreateJobAsync(modelId, smallImages);
        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "784", "196");
        Assert.Equal(HttpStatusCode.Accepted, (await Client.CreateJobAsync(modelId, fashion)).StatusCode);
    }

    [Fact]
    public async Task Job_creation_beyond_the_tenants_rate_limit_gets_429_with_Retry_After()
    {
        using var limited = new ShearsApiFactory(extra: new Dictionary<string, string?> { ["RateLimits:JobsPerMinute"] = "2" });
        var alpha = limited.ClientFor(ShearsApiFactory.AlphaKey);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, (await alpha.CreateJobAsync(Guid.NewGuid(), Guid.NewGuid(), method: "nope")).StatusCode);
        }
        var refused = await alpha.CreateJobAsync(Guid.NewGuid(), Guid.NewGuid(), method: "nope");
        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests, "try again");
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, refused.Headers.RetryAfter?.ToString());
        // Another tenant has an allowance of its own.
        var beta = limited.ClientFor(ShearsApiFactory.BetaKey);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await beta.CreateJobAsync(Guid.NewGuid(), Guid.NewGuid(), method: "nope")).StatusCode);
    }

    public void Dispose() => _api.Dispose();
}
