using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Shears.Api.Tests.Infrastructure;
using Shears.Domain.Datasets;

namespace Shears.Api.Tests;

/// <summary>
/// Label-free pruning through the Api: a network that is not a classifier, with several inputs (a float image and a side
/// vector), uploaded with an .npz of unlabeled data, pruned by every method against the original network's outputs
/// (objective distill) and checked in ONNX Runtime; the token network (int64 ids and mask of a dynamic length) is
/// inspected at upload, with its embedding width and MLP units as groups (Worker's TaskNetworkPruningTests prunes it).
/// </summary>
public sealed class TaskNetworkJobTests : IDisposable
{
    private readonly ShearsApiFactory _api = new(withKeys: false);

    private HttpClient Client => _api.ClientFor(null);

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("two_input_regression", "regression", "fisher")]
    [InlineData("two_input_regression", "regression", "l0")]
    [InlineData("two_input_regression", "regression", "magnitude")]
    public async Task An_unlabeled_npz_prunes_a_multi_input_network_by_distillation_and_the_result_follows_the_original(string network, string output, string method)
    {
        var original = await File.ReadAllBytesAsync(RepoPaths.Fixture($"{network}.onnx"));
        var npz = await File.ReadAllBytesAsync(RepoPaths.Fixture($"{network}.npz"));
        var modelId = await (await Client.UploadModelAsync(original, network)).CreatedIdAsync();
        var datasetId = await (await Client.UploadNpzAsync(npz, $"{network}.npz")).CreatedIdAsync();
        var evalId = await (await Client.UploadNpzAsync(npz, $"{network}-eval.npz")).CreatedIdAsync();
        object options = method switch
        {
            "l0" => new { steps = 200, batchSize = 50 },
            "fisher" => new { steps = 40, batchSize = 50, stepsPerPrune = 2 },
            _ => new { steps = 40, batchSize = 50 },
        };
        var response = await Client.PostAsJsonAsync("/v1/jobs", new { modelId, datasetId, method, target = new { flops = 0.5 }, options, evalDatasetId = evalId });
        var jobId = await response.CreatedIdAsync();

        await Client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(15)); // minutes only on a machine shared by many builds
        var job = await Client.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.True(job.GetProperty("status").GetString() == "succeeded", job.ToString());
        Assert.Equal(evalId, job.GetProperty("evalDatasetId").GetGuid());
        var result = job.GetProperty("result");
        Assert.Equal("distill", result.GetProperty("objective").GetString());
        Assert.StartsWith("evalDataset", result.GetProperty("evaluatedOn").GetString());
        var after = result.GetProperty("after");
        Assert.True(after.GetProperty("flops").GetInt64() <= 0.5 * result.GetProperty("before").GetProperty("flops").GetInt64(), result.ToString());
        Assert.False(after.TryGetProperty("accuracy", out var accuracy) && accuracy.ValueKind != JsonValueKind.Null, "no labels, no accuracy");
        var agreement = Assert.Single(after.GetProperty("agreement").EnumerateArray());
        Assert.Equal(output, agreement.GetProperty("output").GetString());
        Assert.True(agreement.GetProperty("cosine").GetDouble() > 0.8, result.ToString());

        var report = JsonDocument.Parse(await Client.GetByteArrayAsync($"/v1/jobs/{jobId}/artifacts/report.json")).RootElement;
        Assert.Equal(agreement.GetProperty("cosine").GetDouble(), report.GetProperty("result").GetProperty("after").GetProperty("agreement")[0].GetProperty("cosine").GetDouble());

        // The downloaded network runs in ONNX Runtime on both inputs and stays near the original on data the job did not train on.
        var pruned = await Client.GetByteArrayAsync($"/v1/jobs/{jobId}/artifacts/pruned.onnx");
        var inputs = ReadNpz(npz).ToList();
        var (reference, shrunk) = (Run(original, inputs), Run(pruned, inputs));
        var error = Math.Sqrt(reference.Zip(shrunk).Sum(p => (p.First - p.Second) * (p.First - p.Second)) / reference.Sum(v => v * v));
        Assert.True(error < 0.6, $"relative error of the pruned network in ONNX Runtime: {error:G3}; {result}");
    }

    /// <summary>
    /// The token network through the Api: a label-free Fisher job cuts its embedding width and MLP units (the masked mean
    /// pool passes the width to the MLP) and hands back a smaller network that runs on both int64 inputs. Worker's
    /// TaskNetworkPruningTests prunes it with every method; its [N, 16] embedding output is distilled by the softened KL,
    /// so the agreement figures are looser than two_input_regression's and are not what this test checks.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_label_free_job_cuts_the_token_networks_embedding_width_and_mlp_units()
    {
        var original = await File.ReadAllBytesAsync(RepoPaths.Fixture("token_encoder.onnx"));
        var npz = await File.ReadAllBytesAsync(RepoPaths.Fixture("token_encoder.npz"));
        var modelId = await (await Client.UploadModelAsync(original, "token_encoder")).CreatedIdAsync();
        var datasetId = await (await Client.UploadNpzAsync(npz, "token_encoder.npz")).CreatedIdAsync();
        var response = await Client.PostAsJsonAsync("/v1/jobs", new
        {
            modelId,
            datasetId,
            method = "fisher",
            target = new { flops = 0.5 },
            options = new { steps = 40, batchSize = 50, stepsPerPrune = 2 },
        });
        var jobId = await response.CreatedIdAsync();

        await Client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(15));
        var job = await Client.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.True(job.GetProperty("status").GetString() == "succeeded", job.ToString());
        var result = job.GetProperty("result");
        Assert.Equal("distill", result.GetProperty("objective").GetString());
        var (before, after) = (result.GetProperty("before"), result.GetProperty("after"));
        Assert.True(after.GetProperty("flops").GetInt64() <= 0.5 * before.GetProperty("flops").GetInt64(), result.ToString());
        Assert.True(after.GetProperty("params").GetInt64() < before.GetProperty("params").GetInt64(), result.ToString());
        var layers = result.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(["/embedding/Gather", "/fc1/Gemm"], layers.Select(l => l.GetProperty("name").GetString()));
        Assert.Contains(layers, l => l.GetProperty("channelsAfter").GetInt32() < l.GetProperty("channelsBefore").GetInt32());

        var pruned = await Client.GetByteArrayAsync($"/v1/jobs/{jobId}/artifacts/pruned.onnx");
        Assert.True(pruned.Length < original.Length, $"{pruned.Length} vs {original.Length} bytes");
        var inputs = ReadNpz(npz).ToList();
        var outputs = Run(pruned, inputs);
        Assert.Equal(Run(original, inputs).Length, outputs.Length);
        Assert.All(outputs, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData("two_input_regression", "image float32 [-1,1,28,28]|side float32 [-1,8]", "regression float32 [-1,4]")]
    [InlineData("token_encoder", "input_ids int64 [-1,-1]|attention_mask int64 [-1,-1]", "embedding float32 [-1,16]")]
    public async Task The_inspection_at_upload_lists_every_input_and_output_with_its_element_type_and_shape(string network, string inputs, string outputs)
    {
        var response = await Client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture($"{network}.onnx")), network);
        var inspection = (await Client.GetJsonAsync($"/v1/models/{await response.CreatedIdAsync()}")).GetProperty("inspection");

        static string Describe(JsonElement tensors) => string.Join("|", tensors.EnumerateArray().Select(t =>
            $"{t.GetProperty("name").GetString()} {t.GetProperty("elementType").GetString()} [{string.Join(",", t.GetProperty("shape").EnumerateArray())}]"));
        Assert.Equal(inputs, Describe(inspection.GetProperty("inputs")));
        Assert.Equal(outputs, Describe(inspection.GetProperty("outputs")));
        Assert.True(inspection.GetProperty("prunableGroups").GetInt32() > 0, inspection.ToString());
    }

    [Fact]
    public async Task A_dataset_that_does_not_fit_an_input_is_refused_at_submission_naming_the_input()
    {
        var modelId = await (await Client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("two_input_regression.onnx")))).CreatedIdAsync();
        var wrongSide = Npz.Archive(
            Npz.Float32("image", [2, 1, 28, 28], new float[2 * 784]),
            Npz.Float32("side", [2, 5], new float[10]));
        var datasetId = await (await Client.UploadNpzAsync(wrongSide)).CreatedIdAsync();
        var imagesOnly = await (await Client.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();

        await (await Client.CreateJobAsync(modelId, datasetId, method: "fisher")).AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "'side'", "[8]", "[5]");
        await (await Client.CreateJobAsync(modelId, imagesOnly, method: "fisher")).AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "'image'", "no array");
        await (await Client.CreateJobAsync(modelId, datasetId, method: "fisher", options: new { objective = "labels" }))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        var fitting = await (await Client.UploadNpzAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("two_input_regression.npz")))).CreatedIdAsync();
        await (await Client.CreateJobAsync(modelId, fitting, method: "fisher", options: new { outputKinds = new { embedding = "values" } }))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "outputKinds names 'embedding'", "'regression'");
        Assert.Equal(0, (await Client.GetJsonAsync("/v1/jobs")).GetProperty("count").GetInt32());
    }

    private static IEnumerable<(string Name, NumericArray Values)> ReadNpz(byte[] npz)
    {
        using var archive = new ZipArchive(new MemoryStream(npz), ZipArchiveMode.Read);
        foreach (var entry in archive.Entries.ToList())
        {
            using var stream = entry.Open();
            yield return (Path.GetFileNameWithoutExtension(entry.Name), NumericArrayFile.Read(stream, entry.Name, new DatasetLimits()));
        }
    }

    private static float[] Run(byte[] onnx, IReadOnlyList<(string Name, NumericArray Values)> inputs)
    {
        using var session = new InferenceSession(onnx);
        var feeds = inputs.Select(i => i.Values.Header.ElementType == ElementType.Int64
            ? NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<long>(i.Values.ToLongs(), i.Values.Header.Shape))
            : NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(i.Values.ToFloats(), i.Values.Header.Shape))).ToList();
        using var results = session.Run(feeds);
        return [.. results[0].AsTensor<float>()];
    }

    public void Dispose() => _api.Dispose();
}
