using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Shears.Api.Tests.Infrastructure;

/// <summary>
/// The walk a user takes: upload a network and a dataset, run a pruning job, follow its events to the end,
/// download the pruned network and run it in ONNX Runtime.
/// </summary>
internal static class PruningFlow
{
    public sealed record Outcome(JsonElement Job, List<ServerSentEvent> Events, byte[] Original, byte[] Pruned, double OrtAccuracy);

    public static Task<Outcome> RunMagnitudeJobAsync(HttpClient client, string network = "tiny_cnn") =>
        RunJobAsync(client, network, "magnitude", new { flops = 0.5 }, new { epochs = 1, batchSize = 50, norm = "l1", scope = "global" },
            (ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k));

    public static async Task<Outcome> RunJobAsync(HttpClient client, string network, string method, object target, object options,
        (string Images, string Labels) dataset)
    {
        var original = await File.ReadAllBytesAsync(RepoPaths.Fixture($"{network}.onnx"));
        var modelId = await (await client.UploadModelAsync(original, network)).CreatedIdAsync();
        var datasetId = await (await client.UploadDatasetAsync(dataset.Images, dataset.Labels)).CreatedIdAsync();
        var jobId = await (await client.CreateJobAsync(modelId, datasetId, target, options, method)).CreatedIdAsync();

        var events = await client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(8));
        var job = await client.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.True(job.GetProperty("status").GetString() == "succeeded", job.ToString());
        var pruned = await client.GetByteArrayAsync($"/v1/jobs/{jobId}/artifacts/pruned.onnx");
        return new Outcome(job, events, original, pruned, OrtAccuracy(pruned, samples: 500));
    }

    /// <summary>Checks what every successful run must show, whatever the mode.</summary>
    public static async Task AssertSucceededAsync(HttpClient client, Outcome outcome)
    {
        var statuses = outcome.Events.Where(e => e.Type == "status").Select(e => e.Json.GetProperty("status").GetString()!).ToArray();
        Assert.Equal(["queued", "running", "succeeded"], statuses);
        Assert.Contains(outcome.Events, e => e.Type == "progress");
        Assert.Equal(Enumerable.Range(1, outcome.Events.Count).Select(i => (long)i), outcome.Events.Select(e => e.Id));

        var result = outcome.Job.GetProperty("result");
        var before = result.GetProperty("before");
        var after = result.GetProperty("after");
        Assert.True(after.GetProperty("flops").GetInt64() < before.GetProperty("flops").GetInt64(), result.ToString());
        Assert.True(after.GetProperty("params").GetInt64() < before.GetProperty("params").GetInt64(), result.ToString());
        Assert.True(outcome.Pruned.Length < outcome.Original.Length, $"{outcome.Pruned.Length} vs {outcome.Original.Length} bytes");
        Assert.True(outcome.OrtAccuracy > 0.5, $"ONNX Runtime accuracy of the pruned network: {outcome.OrtAccuracy:P1}");
        Assert.NotEmpty(result.GetProperty("layers").EnumerateArray());

        // The pruned network is itself a model of the tenant, inspected like an upload.
        var prunedModel = await client.GetJsonAsync($"/v1/models/{result.GetProperty("modelId").GetGuid()}");
        Assert.Equal(after.GetProperty("flops").GetInt64(), prunedModel.GetProperty("inspection").GetProperty("flops").GetInt64());
        Assert.Equal(outcome.Pruned, await client.GetByteArrayAsync($"/v1/models/{result.GetProperty("modelId").GetGuid()}/content"));

        var jobId = outcome.Job.GetProperty("id").GetGuid();
        var report = JsonDocument.Parse(await client.GetByteArrayAsync($"/v1/jobs/{jobId}/artifacts/report.json")).RootElement;
        Assert.Equal(outcome.Job.GetProperty("method").GetString(), report.GetProperty("method").GetString());
        Assert.NotEmpty(await client.GetByteArrayAsync($"/v1/jobs/{jobId}/artifacts/weights.safetensors"));
    }

    /// <summary>Top-1 accuracy of <paramref name="onnx"/> in ONNX Runtime on the first Fashion-MNIST test samples (x/255).</summary>
    public static double OrtAccuracy(byte[] onnx, int samples)
    {
        var pixels = ReadIdx(ApiCalls.FashionImages1k, headerBytes: 16);
        var labels = ReadIdx(ApiCalls.FashionLabels1k, headerBytes: 8);
        using var session = new InferenceSession(onnx);
        var input = session.InputMetadata.First();
        var shape = input.Value.Dimensions.Select((d, i) => i == 0 ? samples : d).ToArray();
        var tensor = new DenseTensor<float>(pixels.Take(samples * 784).Select(p => p / 255f).ToArray(), shape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input.Key, tensor)]);
        var logits = results[0].AsTensor<float>();
        var correct = Enumerable.Range(0, samples).Count(n =>
            Enumerable.Range(0, 10).MaxBy(c => logits[n, c]) == labels[n]);
        return (double)correct / samples;
    }

    private static byte[] ReadIdx(string fixture, int headerBytes)
    {
        using var gzip = new GZipStream(File.OpenRead(RepoPaths.Fixture(fixture)), CompressionMode.Decompress);
        using var bytes = new MemoryStream();
        gzip.CopyTo(bytes);
        return bytes.ToArray()[headerBytes..];
    }
}
