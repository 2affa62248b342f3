using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Shears.Cli.Api;

/// <summary>The service's REST contract (v1) as the CLI uses it. Answers are kept as JSON, as the service wrote them.</summary>
public sealed class ShearsClient : IDisposable
{
    private readonly HttpClient _http;

    public ShearsClient(string baseUrl, string? apiKey, HttpMessageHandler? handler = null)
    {
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/");
        _http.Timeout = Timeout.InfiniteTimeSpan; // uploads and event streams take as long as they take
        if (!string.IsNullOrEmpty(apiKey))
        {
            _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }
    }

    public Uri BaseAddress => _http.BaseAddress!;

    public async Task<JsonElement> UploadModelAsync(string path, string? name, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        using var content = new StreamContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await SendAsync(HttpMethod.Post, $"v1/models?name={Uri.EscapeDataString(name ?? Path.GetFileName(path))}", content, cancellationToken);
    }

    public async Task<JsonElement> UploadDatasetAsync(string inputsPath, string labelsPath, string? name, CancellationToken cancellationToken)
    {
        await using var inputs = File.OpenRead(inputsPath);
        await using var labels = File.OpenRead(labelsPath);
        using var form = new MultipartFormDataContent
        {
            { new StreamContent(inputs), "inputs", Path.GetFileName(inputsPath) },
            { new StreamContent(labels), "labels", Path.GetFileName(labelsPath) },
        };
        var query = name is null ? "" : $"?name={Uri.EscapeDataString(name)}";
        return await SendAsync(HttpMethod.Post, $"v1/datasets{query}", form, cancellationToken);
    }

    public Task<JsonElement> CreateJobAsync(JsonObject request, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Post, "v1/jobs", JsonContent.Create(request), cancellationToken);

    public Task<JsonElement> GetJobAsync(Guid id, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Get, $"v1/jobs/{id}", null, cancellationToken);

    /// <summary>One page of <paramref name="resource"/> (<c>models</c>, <c>datasets</c>, <c>jobs</c>), newest first.</summary>
    public Task<JsonElement> ListAsync(string resource, int pageIndex, int pageSize, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Get, string.Create(CultureInfo.InvariantCulture, $"v1/{resource}?pageIndex={pageIndex}&pageSize={pageSize}"), null, cancellationToken);

    public async Task DeleteAsync(string resource, Guid id, CancellationToken cancellationToken)
    {
        using var response = await _http.DeleteAsync($"v1/{resource}/{id}", cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    public Task<JsonElement> CancelJobAsync(Guid id, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Post, $"v1/jobs/{id}/cancel", null, cancellationToken);

    /// <summary>Streams the artifact into <paramref name="destination"/>; returns the bytes written.</summary>
    public async Task<long> DownloadArtifactAsync(Guid id, string artifact, Stream destination, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync($"v1/jobs/{id}/artifacts/{Uri.EscapeDataString(artifact)}",
            HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var start = destination.CanSeek ? destination.Position : 0;
        await body.CopyToAsync(destination, cancellationToken);
        return destination.CanSeek ? destination.Position - start : -1;
    }

    /// <summary>Opens the job's event stream after event <paramref name="lastEventId"/> (0: from the start).</summary>
    public async Task<HttpResponseMessage> OpenEventsAsync(Guid id, long lastEventId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/jobs/{id}/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId > 0)
        {
            request.Headers.Add("Last-Event-ID", lastEventId.ToString(CultureInfo.InvariantCulture));
        }
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await ApiException.FromAsync(response, cancellationToken);
            }
        }
        return response;
    }

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await _http.SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await ApiException.FromAsync(response, cancellationToken);
        }
    }

    public void Dispose() => _http.Dispose();
}
