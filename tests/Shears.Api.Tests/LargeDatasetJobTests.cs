using System.Buffers.Binary;
using System.IO.Compression;
using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests;

/// <summary>
/// A dataset larger than a worker's memory is no reason to refuse a job: a worker holds array files up to
/// <c>Engine:MaxHeldDatasetBytes</c> and reads larger ones a batch at a time from a local scratch copy. A small gzip can
/// decode to millions of samples (here 2.5 million 28×28 images, 7,477 MiB as float32, which Jobs:MaxDatasetMemoryBytes
/// used to refuse with 422); the job streams them and succeeds.
/// </summary>
public sealed class LargeDatasetJobTests(ITestOutputHelper output)
{
    private const int ManySamples = 2_500_000;

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_job_on_a_4_MB_gzip_of_2_5_million_images_reads_them_a_batch_at_a_time_and_succeeds()
    {
        using var api = new ShearsApiFactory(withKeys: false);
        var client = api.ClientFor(null);
        var inputs = GzipOfZeros([ManySamples, 28, 28]);
        var labels = GzipOfZeros([ManySamples]);
        output.WriteLine($"inputs: {inputs.Length:N0} bytes of gzip for {ManySamples * 784L:N0} bytes of pixels");
        Assert.True(inputs.Length < 4_000_000);
        var datasetId = await (await client.UploadDatasetAsync(inputs, labels)).CreatedIdAsync();
        var modelId = await (await client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx")))).CreatedIdAsync();

        // Labels, so that no teacher is recorded over 2.5 million rows; 2,500 rows held out for the figures.
        var jobId = await (await client.CreateJobAsync(modelId, datasetId,
            options: new { objective = "labels", steps = 2, batchSize = 100, validationFraction = 0.001 })).CreatedIdAsync();
        var events = await client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(10));

        var job = await client.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.True(job.GetProperty("status").GetString() == "succeeded", job.ToString());
        Assert.Contains(events, e => e.Type == "log" && e.Data.Contains("Dataset: 2500000 samples, read from the stored files a batch at a time.", StringComparison.Ordinal));
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
