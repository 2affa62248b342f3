using System.Text.Json;
using Shears.Cli.Tests.Infrastructure;
using Shears.Domain.Graph;
using Xunit.Abstractions;

namespace Shears.Cli.Tests;

/// <summary>The CLI against the real service: the walk a pipeline takes, and how it learns that something went wrong.</summary>
[Collection(ServerTests.Name)]
public sealed class CliJobTests(ShearsServer server, ITestOutputHelper log)
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task Upload_prune_wait_and_download_gives_exit_code_0_and_a_smaller_network()
    {
        var (modelId, datasetId) = await ShearsCli.UploadTinyMlpAndFashion2kAsync(server);

        var prune = await ShearsCli.RunAsync(server, "prune", "--model", modelId, "--dataset", datasetId, "--method", "magnitude",
            "--target-flops", "0.5", "--option", "epochs=1", "--option", "batchSize=100", "--option", "norm=l1", "--wait");
        log.WriteLine(prune.ToString());
        Assert.True(prune.ExitCode == ExitCodes.Success, prune.ToString());
        Assert.Contains("succeeded", prune.Out, StringComparison.Ordinal);
        Assert.Contains("succeeded", prune.Error, StringComparison.Ordinal); // the status line under the progress bar
        var jobId = prune.Out.Split(' ', ':', '\n')[1];

        var get = await ShearsCli.RunAsync(server, "jobs", "get", jobId, "--json");
        Assert.Equal(ExitCodes.Success, get.ExitCode);
        var job = JsonDocument.Parse(get.Out).RootElement;
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        // The text says what it trained on, where the figures come from, and how close the pruned network stays to the original.
        var result = job.GetProperty("result");
        Assert.Contains($"objective {result.GetProperty("objective").GetString()}; figures on {result.GetProperty("evaluatedOn").GetString()}", prune.Out, StringComparison.Ordinal);
        var agreement = result.GetProperty("after").GetProperty("agreement")[0];
        Assert.Contains($"vs original, output {agreement.GetProperty("output").GetString()}: top-1 agreement", prune.Out, StringComparison.Ordinal);
        Assert.Contains($"cosine {agreement.GetProperty("cosine").GetDouble().ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}", prune.Out, StringComparison.Ordinal);

        var file = Path.Combine(Path.GetTempPath(), $"pruned-{Guid.NewGuid():N}.onnx");
        try
        {
            var download = await ShearsCli.RunAsync(server, "jobs", "download", jobId, "-o", file);
            Assert.True(download.ExitCode == ExitCodes.Success, download.ToString());
            var original = ModelInspector.Inspect(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx")));
            var pruned = ModelInspector.Inspect(await File.ReadAllBytesAsync(file));
            Assert.True(pruned.Params < original.Params, $"{pruned.Params} params after, {original.Params} before");
            Assert.Equal(job.GetProperty("result").GetProperty("after").GetProperty("params").GetInt64(), pruned.Params);
        }
        finally
        {
            File.Delete(file);
        }
        await AssertReportPlotAsync(jobId);
    }

    /// <summary>report.png is a real picture of the size the worker draws, with enough in it to be more than a blank canvas.</summary>
    private async Task AssertReportPlotAsync(string jobId)
    {
        var file = Path.Combine(Path.GetTempPath(), $"report-{jobId}.png");
        var download = await ShearsCli.RunAsync(server, "jobs", "download", jobId, "--artifact", "report.png", "-o", file);
        Assert.True(download.ExitCode == ExitCodes.Success, download.ToString());
        var png = await File.ReadAllBytesAsync(file);
        log.WriteLine($"report.png: {png.Length} bytes at {file}");
        Assert.Equal((Worker.Jobs.ReportPlot.Width, Worker.Jobs.ReportPlot.Height), Png.Size(png));
        Assert.InRange(png.Length, 20_000, 2_000_000);
        if (Environment.GetEnvironmentVariable("SHEARS_KEEP_REPORT_PNG") is null)
        {
            File.Delete(file);
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_cancelled_job_gives_its_own_exit_code()
    {
        var (modelId, datasetId) = await ShearsCli.UploadTinyMlpAndFashion2kAsync(server);
        var prune = await ShearsCli.RunAsync(server, "prune", "--model", modelId, "--dataset", datasetId, "--method", "magnitude",
            "--target-flops", "0.5", "--option", "epochs=5000", "--json");
        Assert.True(prune.ExitCode == ExitCodes.Success, prune.ToString());
        var jobId = JsonDocument.Parse(prune.Out).RootElement.GetProperty("id").GetString()!;

        var cancel = await ShearsCli.RunAsync(server, "jobs", "cancel", jobId);
        Assert.True(cancel.ExitCode == ExitCodes.Success, cancel.ToString());
        var wait = await ShearsCli.RunAsync(server, "jobs", "wait", jobId);
        log.WriteLine(wait.ToString());
        Assert.True(wait.ExitCode == ExitCodes.JobCancelled, wait.ToString());
        Assert.Contains("cancelled", wait.Out, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.JobCancelled, (await ShearsCli.RunAsync(server, "jobs", "get", jobId)).ExitCode);
    }

    [Fact]
    public async Task An_unknown_job_id_gives_the_services_message_and_the_api_error_code()
    {
        var id = Guid.NewGuid().ToString();
        foreach (var command in new[] { "get", "cancel", "download", "wait" })
        {
            var run = await ShearsCli.RunAsync(server, "jobs", command, id);
            Assert.True(run.ExitCode == ExitCodes.ApiError, run.ToString());
            Assert.Contains($"404 Not Found: No such job. There is no job {id} for your API key.", run.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_wrong_api_key_is_refused_with_the_api_error_code()
    {
        var run = await ShearsCli.RunAsync("jobs", "get", Guid.NewGuid().ToString(), "--url", server.Url, "--api-key", "not-a-key");
        Assert.True(run.ExitCode == ExitCodes.ApiError, run.ToString());
        Assert.Contains("401", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_job_request_shows_the_validation_message()
    {
        var (modelId, datasetId) = await ShearsCli.UploadTinyMlpAndFashion2kAsync(server);
        var run = await ShearsCli.RunAsync(server, "prune", "--model", modelId, "--dataset", datasetId, "--method", "magnitude", "--target-flops", "1.5");
        Assert.True(run.ExitCode == ExitCodes.ApiError, run.ToString());
        Assert.Contains("422", run.Error, StringComparison.Ordinal);
        Assert.Contains("flops", run.Error, StringComparison.OrdinalIgnoreCase);
    }

}
