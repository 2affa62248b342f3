using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests;

public sealed class AuthTests : IDisposable
{
    private readonly ShearsApiFactory _api = new();

    [Fact]
    public async Task A_request_without_a_key_gets_401_problem_details()
    {
        var response = await _api.ClientFor(null).GetAsync("/v1/models");
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "X-Api-Key");
    }

    [Fact]
    public async Task A_wrong_key_gets_401()
    {
        var response = await _api.ClientFor("not-a-key").GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Keys_work_in_both_headers_and_as_sha256_configuration()
    {
        Assert.Equal(HttpStatusCode.OK, (await _api.ClientFor(ShearsApiFactory.AlphaKey).GetAsync("/v1/models")).StatusCode);
        var bearer = _api.ClientFor(null);
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ShearsApiFactory.BetaKey);
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync("/v1/datasets")).StatusCode);
    }

    [Fact]
    public async Task Health_endpoints_and_swagger_need_no_key()
    {
        var anonymous = _api.ClientFor(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/readyz")).StatusCode);
        Assert.Contains("/v1/jobs", await anonymous.GetStringAsync("/swagger/v1/swagger.json"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_Hangfire_dashboard_is_for_the_admin_key_only()
    {
        var anonymous = await _api.ClientFor(null).GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("Basic", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await _api.ClientFor(ShearsApiFactory.AlphaKey).GetAsync("/hangfire")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _api.ClientFor(ShearsApiFactory.AdminKey).GetAsync("/hangfire")).StatusCode);

        var browser = _api.ClientFor(null);
        browser.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{ShearsApiFactory.AdminKey}")));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/hangfire")).StatusCode);
    }

    [Fact]
    public async Task Another_tenants_dataset_answers_404_everywhere()
    {
        var alpha = _api.ClientFor(ShearsApiFactory.AlphaKey);
        var beta = _api.ClientFor(ShearsApiFactory.BetaKey);
        var datasetId = await (await alpha.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();

        await (await beta.GetAsync($"/v1/datasets/{datasetId}")).AssertProblemAsync(HttpStatusCode.NotFound, datasetId.ToString());
        await (await beta.DeleteAsync($"/v1/datasets/{datasetId}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await beta.CreateJobAsync(Guid.NewGuid(), datasetId)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(0, (await beta.GetJsonAsync("/v1/datasets")).GetProperty("count").GetInt32());
        Assert.Equal(1, (await alpha.GetJsonAsync("/v1/datasets")).GetProperty("count").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await alpha.GetAsync($"/v1/datasets/{datasetId}")).StatusCode);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Another_tenants_job_its_events_artifacts_and_models_answer_404()
    {
        var alpha = _api.ClientFor(ShearsApiFactory.AlphaKey);
        var beta = _api.ClientFor(ShearsApiFactory.BetaKey);
        var modelId = await (await alpha.UploadModelAsync(File.ReadAllBytes(RepoPaths.Fixture("tiny_cnn.onnx")))).CreatedIdAsync();
        var datasetId = await (await alpha.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();
        var jobId = await (await alpha.CreateJobAsync(modelId, datasetId, options: new { epochs = 0.2 })).CreatedIdAsync();
        await alpha.ReadEventsAsync(jobId, TimeSpan.FromMinutes(5));
        Assert.Equal("succeeded", (await alpha.GetJsonAsync($"/v1/jobs/{jobId}")).GetProperty("status").GetString());

        string[] alphasPaths =
        [
            $"/v1/models/{modelId}", $"/v1/models/{modelId}/content", $"/v1/jobs/{jobId}", $"/v1/jobs/{jobId}/events",
            $"/v1/jobs/{jobId}/artifacts/pruned.onnx", $"/v1/jobs/{jobId}/artifacts/report.json",
        ];
        foreach (var path in alphasPaths)
        {
            Assert.Equal(HttpStatusCode.OK, (await alpha.GetAsync(path)).StatusCode);
            await (await beta.GetAsync(path)).AssertProblemAsync(HttpStatusCode.NotFound);
        }
        await (await beta.PostAsync($"/v1/jobs/{jobId}/cancel", null)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await beta.DeleteAsync($"/v1/models/{modelId}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await beta.CreateJobAsync(modelId, datasetId)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(0, (await beta.GetJsonAsync("/v1/jobs")).GetProperty("count").GetInt32());
        Assert.Equal(0, (await beta.GetJsonAsync("/v1/models")).GetProperty("count").GetInt32());
        Assert.Equal(2, (await alpha.GetJsonAsync("/v1/models")).GetProperty("count").GetInt32()); // the upload and the pruned network
    }

    public void Dispose() => _api.Dispose();
}
