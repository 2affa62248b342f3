using System.Net;
using System.Net.Http.Headers;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests;

/// <summary>A keyless Api process (loopback, anonymous) whose jobs stay queued: no worker serves its queue.</summary>
public sealed class KeylessApi : IAsyncLifetime
{
    private ApiProcess? _api;

    public ApiProcess Process => _api ?? throw new InvalidOperationException("Not started.");

    public HttpClient Client => Process.ClientFor(null);

    public async Task InitializeAsync() => _api = await ApiProcess.StartEmbeddedAsync(new Dictionary<string, string>
    {
        ["Auth__ApiKeys__0__Tenant"] = "",
        ["Auth__ApiKeys__0__Key"] = "",
        ["Worker__Queues"] = "none",
    });

    public Task DisposeAsync()
    {
        _api?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Keyless mode against what a web page in the user's browser can send, over real HTTP to a real Api process: a name
/// rebound to 127.0.0.1, a cross-origin form POST, a cross-origin multipart upload. Before, all were served (a form on
/// any page cancelled a running job).
/// </summary>
public sealed class KeylessBrowserGuardTests(KeylessApi api) : IClassFixture<KeylessApi>
{
    private const string Elsewhere = "http://attacker.example";

    private string Own => api.Process.BaseAddress.GetLeftPart(UriPartial.Authority);

    [Theory]
    [InlineData("/v1/models")]
    [InlineData("/hangfire")]
    [InlineData("/swagger/v1/swagger.json")]
    public async Task A_host_name_other_than_loopback_is_refused(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = $"rebound.attacker.example:{api.Process.BaseAddress.Port}";
        await (await api.Client.SendAsync(request)).AssertProblemAsync(HttpStatusCode.BadRequest, "Host", "rebound.attacker.example");
        Assert.Equal(HttpStatusCode.OK, (await api.Client.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task A_loopback_host_on_another_port_is_refused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Host = "localhost:1";
        await (await api.Client.SendAsync(request)).AssertProblemAsync(HttpStatusCode.BadRequest, "Host");
    }

    [Fact]
    public async Task A_cross_origin_form_post_does_not_cancel_a_job_and_the_services_own_page_does()
    {
        var jobId = await QueueJobAsync();

        await (await CancelAsync(jobId, Elsewhere, "application/x-www-form-urlencoded")).AssertProblemAsync(HttpStatusCode.Forbidden, Elsewhere);
        await (await CancelAsync(jobId, "null", "application/x-www-form-urlencoded")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await CancelAsync(jobId, origin: null, "text/plain", site: "cross-site")).AssertProblemAsync(HttpStatusCode.Forbidden, "cross-site");
        // A form from a browser that sends no Origin: its content type alone gives it away.
        await (await CancelAsync(jobId, origin: null, "application/x-www-form-urlencoded")).AssertProblemAsync(HttpStatusCode.UnsupportedMediaType);
        var job = await api.Client.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.Equal("queued", job.GetProperty("status").GetString());
        Assert.False(job.GetProperty("cancelRequested").GetBoolean());

        // The service's own page (same origin) and a program (no Origin, no body) still cancel.
        Assert.Equal(HttpStatusCode.Accepted, (await CancelAsync(jobId, Own, contentType: null, site: "same-origin")).StatusCode);
        Assert.Equal("cancelled", (await api.Client.GetJsonAsync($"/v1/jobs/{jobId}")).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Accepted, (await api.Client.PostAsync($"/v1/jobs/{await QueueJobAsync()}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task A_cross_origin_multipart_upload_is_refused_and_nothing_is_kept()
    {
        var before = (await api.Client.GetJsonAsync("/v1/models")).GetProperty("count").GetInt32();
        using var upload = ModelUpload(Elsewhere);
        await (await api.Client.SendAsync(upload)).AssertProblemAsync(HttpStatusCode.Forbidden, Elsewhere);
        Assert.Equal(before, (await api.Client.GetJsonAsync("/v1/models")).GetProperty("count").GetInt32());

        using var ownUpload = ModelUpload(Own);
        Assert.Equal(HttpStatusCode.Created, (await api.Client.SendAsync(ownUpload)).StatusCode);
    }

    private static HttpRequestMessage ModelUpload(string origin)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(File.ReadAllBytes(RepoPaths.Fixture("tiny_mlp.onnx"))), "file", "net.onnx" } };
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/models") { Content = form };
        request.Headers.Add("Origin", origin);
        return request;
    }

    private async Task<HttpResponseMessage> CancelAsync(Guid jobId, string? origin, string? contentType, string? site = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/jobs/{jobId}/cancel");
        if (contentType is not null)
        {
            request.Content = new ByteArrayContent("confirm=1"u8.ToArray());
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        if (site is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", site);
        }
        return await api.Client.SendAsync(request);
    }

    private async Task<Guid> QueueJobAsync()
    {
        var modelId = await (await api.Client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx")))).CreatedIdAsync();
        var datasetId = await (await api.Client.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();
        return await (await api.Client.CreateJobAsync(modelId, datasetId)).CreatedIdAsync();
    }
}
