using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Shears.Api.Tests.Infrastructure;

/// <summary>The HTTP calls the tests make, as a client would make them.</summary>
internal static class ApiCalls
{
    public const string FashionImages1k = "fashion_test_1k-images-idx3-ubyte.gz";
    public const string FashionLabels1k = "fashion_test_1k-labels-idx1-ubyte.gz";
    public const string FashionImages2k = "fashion_train_2k-images-idx3-ubyte.gz";
    public const string FashionLabels2k = "fashion_train_2k-labels-idx1-ubyte.gz";

    public static Task<HttpResponseMessage> UploadModelAsync(this HttpClient client, byte[] onnx, string name = "net")
    {
        var content = new ByteArrayContent(onnx);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return client.PostAsync($"/v1/models?name={Uri.EscapeDataString(name)}", content);
    }

    public static Task<HttpResponseMessage> UploadDatasetAsync(this HttpClient client, string inputsFixture, string labelsFixture)
    {
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(File.ReadAllBytes(RepoPaths.Fixture(inputsFixture))), "inputs", inputsFixture },
            { new ByteArrayContent(File.ReadAllBytes(RepoPaths.Fixture(labelsFixture))), "labels", labelsFixture },
        };
        return client.PostAsync("/v1/datasets?name=fashion", form);
    }

    public static Task<HttpResponseMessage> UploadDatasetAsync(this HttpClient client, byte[] inputs, byte[] labels)
    {
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(inputs), "inputs", "inputs.idx" },
            { new ByteArrayContent(labels), "labels", "labels.idx" },
        };
        return client.PostAsync("/v1/datasets?name=made-up", form);
    }

    /// <summary>An image archive as the 'inputs' part alone; <paramref name="query"/> is appended as is (e.g. <c>skipBadImages=true</c>).</summary>
    public static Task<HttpResponseMessage> UploadImageArchiveAsync(this HttpClient client, byte[] archive, string fileName, string query = "")
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(archive), "inputs", fileName } };
        return client.PostAsync($"/v1/datasets?name=images&{query}", form);
    }

    public static async Task<Guid> CreatedIdAsync(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    public static Task<HttpResponseMessage> CreateJobAsync(this HttpClient client, Guid modelId, Guid datasetId, object? target = null,
        object? options = null, string method = "magnitude")
        => client.PostAsJsonAsync("/v1/jobs", new { modelId, datasetId, method, target = target ?? new { flops = 0.5 }, options });

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path} → {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    /// <summary>Reads a job's SSE stream until the server ends it (after the final status event).</summary>
    public static async Task<List<ServerSentEvent>> ReadEventsAsync(this HttpClient client, Guid jobId, TimeSpan timeout, long? lastEventId = null,
        Func<ServerSentEvent, Task>? onEvent = null, CancellationToken drop = default)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(drop);
        cancel.CancelAfter(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{jobId}/events");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
        var events = new List<ServerSentEvent>();
        var (id, type, data) = (0L, "message", new List<string>());
        while (await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    events.Add(new ServerSentEvent(id, type, string.Join('\n', data)));
                    await (onEvent?.Invoke(events[^1]) ?? Task.CompletedTask);
                }
                (type, data) = ("message", []);
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var (field, value) = colon < 0 ? (line, "") : (line[..colon], line[(colon + 1)..].TrimStart(' '));
            switch (field)
            {
                case "id": id = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                case "event": type = value; break;
                case "data": data.Add(value); break;
            }
        }
        return events;
    }
}
