using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests;

/// <summary>
/// A job's dataset must fit a worker's memory whatever the upload (<c>Jobs:MaxDatasetMemoryBytes</c>): a small gzip can
/// decode to millions of samples, which a worker would load as floats (before: ~8 GB for the case below, failing only
/// on a worker with a heap cap). The Api refuses such a job at submission; a worker with a lower limit fails it before loading.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class DatasetMemoryLimitTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const int ManySamples = 2_500_000;

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_4_MB_gzip_of_2_5_million_images_is_stored_but_a_job_on_it_is_refused_with_422()
    {
        using var api = new ShearsApiFactory(withKeys: false);
        var client = api.ClientFor(null);
        var inputs = GzipOfZeros([ManySamples, 28, 28]);
        var labels = GzipOfZeros([ManySamples]);
        output.WriteLine($"inputs: {inputs.Length:N0} bytes of gzip for {ManySamples * 784L:N0} bytes of pixels");
        Assert.True(inputs.Length < 4_000_000);
        var datasetId = await (await client.UploadDatasetAsync(inputs, labels)).CreatedIdAsync();
        var modelId = await (await client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx")))).CreatedIdAsync();

        var response = await client.CreateJobAsync(modelId, datasetId);

        var body = await response.Content.ReadAsStringAsync();
        output.WriteLine(body);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString();
        Assert.Equal("The dataset's 2,500,000 samples of shape [28, 28] take 7,477 MiB as float32 in a worker's memory, more than the limit of 2,048 MiB " +
            "(Jobs:MaxDatasetMemoryBytes). Use a subset of the samples, or raise the limit on the Api and the workers if they have about twice that memory.", detail);
        Assert.Equal(0, (await client.GetJsonAsync("/v1/jobs")).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task The_limit_is_configurable()
    {
        using var api = new ShearsApiFactory(withKeys: false, extra: new Dictionary<string, string?> { ["Jobs:MaxDatasetMemoryBytes"] = "2000000" });
        var client = api.ClientFor(null);
        var datasetId = await (await client.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();
        var modelId = await (await client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx")))).CreatedIdAsync();

        var response = await client.CreateJobAsync(modelId, datasetId);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("1,000 samples of shape [28, 28] take 3 MiB as float32 in a worker's memory, more than the limit of 2 MiB",
            await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_worker_with_a_lower_limit_than_the_Api_fails_the_job_before_loading_the_dataset()
    {
        using var scene = await DistributedScene.StartAsync(postgres);
        scene.Worker.Process.Kill();
        using var worker = scene.StartWorker(new Dictionary<string, string> { ["Jobs__MaxDatasetMemoryBytes"] = "2000000" });
        var jobId = await scene.QueueJobAsync(new { steps = 5 }, network: "tiny_mlp");

        var events = await scene.Client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(3));

        var job = await scene.Client.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.True(job.GetProperty("status").GetString() == "failed", $"{job}\n{worker.Output}");
        Assert.StartsWith("The dataset's 1,000 samples of shape [28, 28] take 3 MiB", job.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
        Assert.DoesNotContain(events, e => e.Type == "progress");
    }

    /// <summary>An IDX file of unsigned bytes, all zero, gzipped as it is written (the decoded file is never in memory).</summary>
    private static byte[] GzipOfZeros(int[] dims)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var header = new byte[4 + (4 * dims.Length)];
            header[2] = 0x08;
            header[3] = (byte)dims.Length;
            for (var i = 0; i < dims.Length; i++)
            {
                BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + (4 * i)), dims[i]);
            }
            gzip.Write(header);
            var zeros = new byte[1 << 20];
            for (var left = dims.Aggregate(1L, (a, b) => a * b); left > 0; left -= zeros.Length)
            {
                gzip.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
            }
        }
        return compressed.ToArray();
    }
}
