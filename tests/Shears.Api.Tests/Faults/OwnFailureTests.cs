using Google.Protobuf;
using Onnx;
using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests.Faults;

/// <summary>
/// Jobs that fail for their own reasons, run by a real worker process through the real Api on PostgreSQL: each fails
/// once, with its reason in the job and in its <c>failed</c> event, on its first attempt, and Hangfire never retries it.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class OwnFailureTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const int OversizedSamples = 40_000;

    /// <summary>
    /// The worker's managed heap is capped at 96 MiB, so that decoding a dataset of 40,000 28×28 images (125 MB of
    /// float32) runs out of memory for real, while the other jobs fit.
    /// </summary>
    private static readonly Dictionary<string, string> SmallWorker = new() { ["DOTNET_GCHeapHardLimit"] = "0x6000000" };

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Jobs_that_fail_for_their_own_reasons_fail_once_with_their_reason_and_are_not_retried()
    {
        using var scene = await DistributedScene.StartAsync(postgres);
        scene.Worker.Process.Kill();
        using var worker = scene.StartWorker(SmallWorker);
        var client = scene.Client;
        var mlp = await (await client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx")))).CreatedIdAsync();
        var linear = await (await client.UploadModelAsync(LinearClassifier())).CreatedIdAsync();
        var data = await (await client.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();
        var oversized = await (await client.UploadDatasetAsync(
            Idx.Bytes([OversizedSamples, 28, 28], i => (byte)(i % 251)), Idx.Bytes([OversizedSamples], i => (byte)(i % 10)))).CreatedIdAsync();

        (string Case, Guid Job, string Reason)[] cases =
        [
            ("NaN loss", await (await client.CreateJobAsync(mlp, data, new { flops = 0.5 },
                new { optimizer = "sgd", learningRate = 10, inputScale = 1e9, steps = 30, batchSize = 50 })).CreatedIdAsync(), "The training loss became NaN"),
            ("unreachable target", await (await client.CreateJobAsync(mlp, data, new { flops = 0.01 })).CreatedIdAsync(), "Target unreachable"),
            ("nothing to prune", await (await client.CreateJobAsync(linear, data, new { flops = 0.5 })).CreatedIdAsync(), "no prunable channel groups"),
            ("out of memory", await (await client.CreateJobAsync(mlp, oversized, new { flops = 0.5 }, new { steps = 10 })).CreatedIdAsync(), "The job ran out of memory. Lower options.batchSize"),
        ];

        foreach (var (name, jobId, reason) in cases)
        {
            var events = await client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(4));
            var statuses = events.Where(e => e.Type == "status").Select(e => e.Json.GetProperty("status").GetString()).ToList();
            Assert.True(statuses.SequenceEqual(["queued", "running", "failed"]), $"{name}: {string.Join(",", statuses)}\n{worker.Output}");
            var job = await client.GetJsonAsync($"/v1/jobs/{jobId}");
            var error = job.GetProperty("error").GetString()!;
            output.WriteLine($"{name}: {error}");
            Assert.Contains(reason, error, StringComparison.Ordinal);
            Assert.Equal(error, events[^1].Json.GetProperty("message").GetString());
            Assert.Equal("failed", job.GetProperty("status").GetString());
            Assert.Equal(1, job.GetProperty("attempts").GetInt32());
            Assert.Empty(job.GetProperty("artifacts").EnumerateArray());

            // Hangfire saw the run end normally: no failed state, no retry scheduled.
            Assert.Equal(["Enqueued", "Processing", "Succeeded"], await Sql.HangfireStatesAsync(scene.Database, jobId));
        }
        Assert.False(worker.HasExited, worker.Output);
        Assert.Equal(2, (await client.GetJsonAsync("/v1/models")).GetProperty("count").GetInt32());
    }

    /// <summary>tiny_mlp's Flatten straight into one Gemm to the ten classes: a valid network with no hidden channel to remove.</summary>
    private static byte[] LinearClassifier()
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(RepoPaths.Fixture("tiny_mlp.onnx")));
        var graph = model.Graph;
        var flatten = graph.Node.First(n => n.OpType == "Flatten");
        var output = graph.Output[0].Name;
        graph.Node.Clear();
        graph.Initializer.Clear();
        graph.ValueInfo.Clear();
        graph.Node.Add(flatten);
        graph.Node.Add(new NodeProto
        {
            Name = "classifier",
            OpType = "Gemm",
            Input = { flatten.Output[0], "classifier.weight", "classifier.bias" },
            Output = { output },
            Attribute = { new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 } },
        });
        graph.Initializer.Add(new TensorProto { Name = "classifier.weight", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 10, 784 }, FloatData = { Enumerable.Range(0, 7840).Select(i => (i % 7) * 0.001f) } });
        graph.Initializer.Add(new TensorProto { Name = "classifier.bias", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 10 }, FloatData = { new float[10] } });
        return model.ToByteArray();
    }
}
