using System.Net.Http.Json;
using System.Text.Json;
using Shears.Api.Tests.Infrastructure;
using Shears.Testing;
using Shears.Worker.Engine.Training;
using SkiaSharp;

namespace Shears.Api.Tests;

/// <summary>
/// Jobs whose dataset the worker reads a batch at a time, through the real Api with its embedded worker: an image archive
/// of images alone distilled from the original network (augmented batches, the teacher run on each; fine-tuning stopped
/// by the agreement with the original), and a .npz feeding a two-input network (every array dataset streams here:
/// <c>Engine:MaxHeldDatasetBytes</c> is set below their size).
/// </summary>
public sealed class StreamedDatasetJobTests : IDisposable
{
    private readonly ShearsApiFactory _api = new(withKeys: false, extra: new Dictionary<string, string?> { ["Engine:MaxHeldDatasetBytes"] = "1000" });

    private HttpClient Client => _api.ClientFor(null);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Unlabeled_images_are_distilled_on_augmented_batches_and_fine_tuning_stops_by_the_agreement_with_the_original()
    {
        // 40 images of 36×30 at the archive's top level, no labels.csv: images alone.
        var images = SyntheticImages.ClassFolders(4, 10, 36, 30, SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg);
        var archive = SyntheticImages.Tar(images.Select(f => (f.Path.Replace('/', '-'), f.Data)));
        var upload = await Client.UploadImageArchiveAsync(archive, "loose.tar");
        var datasetId = await upload.CreatedIdAsync();
        var dataset = await Client.GetJsonAsync($"/v1/datasets/{datasetId}");
        Assert.False(dataset.GetProperty("hasLabels").GetBoolean(), dataset.ToString());
        var modelId = await (await Client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_cnn.onnx")))).CreatedIdAsync();

        // No steps or epochs: fine-tuning runs until the held-out figure, here the agreement with the original, stops improving.
        var jobId = await (await Client.CreateJobAsync(modelId, datasetId, new { flops = 0.5 },
            new { objective = "distill", batchSize = 8, validationFraction = 0.25, learningRate = 0.01, scope = "layer" })).CreatedIdAsync();
        var events = await Client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(10));

        var job = await Client.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.True(job.GetProperty("status").GetString() == "succeeded", job.ToString());
        Assert.Contains(events, e => e.Type == "log" && e.Data.Contains("read from the stored files a batch at a time, training batches augmented", StringComparison.Ordinal));
        var result = job.GetProperty("result");
        Assert.Equal("distill", result.GetProperty("objective").GetString());
        Assert.True(result.GetProperty("after").GetProperty("flops").GetInt64() <= 0.5 * result.GetProperty("before").GetProperty("flops").GetInt64(), result.ToString());
        Assert.False(result.GetProperty("after").TryGetProperty("accuracy", out var accuracy) && accuracy.ValueKind != JsonValueKind.Null, "no labels, no accuracy");
        var agreement = Assert.Single(result.GetProperty("after").GetProperty("agreement").EnumerateArray());
        Assert.InRange(agreement.GetProperty("top1Agreement").GetDouble(), 0, 1);

        var fineTuning = result.GetProperty("fineTuning");
        var stopped = fineTuning.GetProperty("stopped").GetString()!;
        Assert.True(stopped.StartsWith("agreement with the original did not improve", StringComparison.Ordinal) || stopped.StartsWith("reached the upper bound", StringComparison.Ordinal), stopped);
        Assert.InRange(fineTuning.GetProperty("bestAccuracy").GetDouble(), 0, 1); // the best agreement measured, whose weights were kept
        // 10 epochs of 30 training images in batches of 8 are 40 steps, under the fewest steps the bound allows.
        Assert.InRange(fineTuning.GetProperty("steps").GetInt32(), 1, EarlyStopping.MaxStepsFor(stepsPerEpoch: 4));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_two_input_network_trains_on_a_npz_read_a_batch_at_a_time()
    {
        var original = await File.ReadAllBytesAsync(RepoPaths.Fixture("two_input_regression.onnx"));
        var modelId = await (await Client.UploadModelAsync(original, "two-inputs")).CreatedIdAsync();
        var datasetId = await (await Client.UploadNpzAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("two_input_regression.npz")), "two.npz")).CreatedIdAsync();
        var response = await Client.PostAsJsonAsync("/v1/jobs", new
        {
            modelId,
            datasetId,
            method = "fisher",
            target = new { flops = 0.5 },
            options = new { steps = 40, batchSize = 50, stepsPerPrune = 2, validationFraction = 0.2 },
        });
        var jobId = await response.CreatedIdAsync();

        var events = await Client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(10));

        var job = await Client.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.True(job.GetProperty("status").GetString() == "succeeded", job.ToString());
        Assert.Contains(events, e => e.Type == "log" && e.Data.Contains("Dataset: 400 samples, read from the stored files a batch at a time.", StringComparison.Ordinal));
        var result = job.GetProperty("result");
        Assert.True(result.GetProperty("after").GetProperty("flops").GetInt64() <= 0.5 * result.GetProperty("before").GetProperty("flops").GetInt64(), result.ToString());
        var agreement = Assert.Single(result.GetProperty("after").GetProperty("agreement").EnumerateArray());
        Assert.True(agreement.GetProperty("cosine").GetDouble() > 0.8, result.ToString());
    }

    public void Dispose() => _api.Dispose();
}
