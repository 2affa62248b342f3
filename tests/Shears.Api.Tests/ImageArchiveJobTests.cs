using System.Net;
using Shears.Api.Tests.Infrastructure;
using Shears.Testing;
using SkiaSharp;

namespace Shears.Api.Tests;

/// <summary>
/// Jobs on image archives as deployed: a real Api process and a real worker process on PostgreSQL, over real HTTP. The
/// worker reads the archive from the artifact store a batch at a time, resized for the network.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class ImageArchiveJobTests(PostgresServer postgres)
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_job_on_a_zip_of_png_and_jpeg_class_folders_succeeds_and_hands_back_a_smaller_network()
    {
        using var scene = await DistributedScene.StartAsync(postgres);
        // 3 classes of 16 images of 36×30 (the network takes 1×28×28: resized, centre-cropped, made gray).
        var archive = SyntheticImages.Zip(SyntheticImages.ClassFolders(3, 16, 36, 30, SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg));
        var datasetId = await (await scene.Client.UploadImageArchiveAsync(archive, "shapes.zip")).CreatedIdAsync();
        var modelId = await (await scene.Client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_cnn.onnx")))).CreatedIdAsync();
        var jobId = await (await scene.Client.CreateJobAsync(modelId, datasetId, new { flops = 0.5 },
            new { steps = 6, batchSize = 8, validationFraction = 0.25, learningRate = 0.01, scope = "layer" })).CreatedIdAsync();

        var events = await scene.Client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(5));

        var job = await scene.Client.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.True(job.GetProperty("status").GetString() == "succeeded", $"{job}\n{scene.Worker.Output}");
        Assert.Contains(events, e => e.Type == "progress");
        var result = job.GetProperty("result");
        Assert.True(result.GetProperty("after").GetProperty("flops").GetInt64() < result.GetProperty("before").GetProperty("flops").GetInt64(), result.ToString());
        Assert.InRange(result.GetProperty("before").GetProperty("accuracy").GetDouble(), 0, 1);
        var pruned = await scene.Client.GetByteArrayAsync($"/v1/jobs/{jobId}/artifacts/pruned.onnx");
        Assert.True(pruned.Length < (await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_cnn.onnx"))).Length);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_job_training_on_labels_of_unlabeled_images_or_for_a_network_that_takes_waveforms_is_refused_before_it_is_queued()
    {
        using var scene = await DistributedScene.StartAsync(postgres);
        var images = SyntheticImages.ClassFolders(2, 3, 20, 20, SKEncodedImageFormat.Png);
        var labeled = await (await scene.Client.UploadImageArchiveAsync(SyntheticImages.Tar(images), "labeled.tar")).CreatedIdAsync();
        var unlabeled = await (await scene.Client.UploadImageArchiveAsync(
            SyntheticImages.Tar(images.Select(f => (f.Path.Replace('/', '-'), f.Data))), "loose.tar")).CreatedIdAsync();
        var cnn = await (await scene.Client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_cnn.onnx")))).CreatedIdAsync();
        var waveform = await (await scene.Client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("zoo/audio1d.onnx")))).CreatedIdAsync();

        // Unlabeled images can only be distilled from the original network (objective distill, the default without labels).
        await (await scene.Client.CreateJobAsync(cnn, unlabeled, options: new { objective = "labels" })).AssertProblemAsync(HttpStatusCode.UnprocessableEntity,
            "objective 'labels' trains on labels", $"dataset {unlabeled} has none");
        await (await scene.Client.CreateJobAsync(waveform, labeled)).AssertProblemAsync(HttpStatusCode.UnprocessableEntity,
            "An image dataset needs a network whose input is [N, 1 or 3, H, W]");
        Assert.Equal(0, (await scene.Client.GetJsonAsync("/v1/jobs")).GetProperty("count").GetInt32());
    }
}
