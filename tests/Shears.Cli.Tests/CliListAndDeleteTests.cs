using System.Text.Json;
using Shears.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Cli.Tests;

/// <summary><c>models|datasets|jobs list</c> and <c>models|datasets delete</c>, run as the real <c>shears</c> process.</summary>
[Collection(ServerTests.Name)]
public sealed class CliListAndDeleteTests(ShearsServer server, ITestOutputHelper log)
{
    [Fact]
    public async Task Models_list_shows_uploads_newest_first_and_pages_them()
    {
        var first = await UploadModelAsync("list-first");
        var second = await UploadModelAsync("list-second");

        var list = await CliProcess.RunAsync(server, "models", "list");
        log.WriteLine(list.ToString());
        Assert.True(list.ExitCode == ExitCodes.Success, list.ToString());
        var lines = list.Out.Split('\n');
        var secondLine = Array.FindIndex(lines, l => l.StartsWith(second, StringComparison.Ordinal));
        var firstLine = Array.FindIndex(lines, l => l.StartsWith(first, StringComparison.Ordinal));
        Assert.True(secondLine >= 0 && secondLine < firstLine, list.Out);
        Assert.Contains("list-second  25,818 params", lines[secondLine], StringComparison.Ordinal);

        var page = await CliProcess.RunAsync(server, "models", "list", "--page-size", "1", "--json");
        var answer = JsonDocument.Parse(page.Out).RootElement;
        Assert.Equal(second, answer.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.True(answer.GetProperty("count").GetInt64() >= 2);
        var text = await CliProcess.RunAsync(server, "models", "list", "--page-size", "1");
        Assert.Contains($"1-1 of {answer.GetProperty("count").GetInt64()} models; --page 2 for more.", text.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_dataset_is_gone_from_the_list_and_a_second_delete_says_there_is_no_such_dataset()
    {
        var dataset = await UploadDatasetAsync();
        Assert.Contains(dataset, (await CliProcess.RunAsync(server, "datasets", "list")).Out, StringComparison.Ordinal);

        var delete = await CliProcess.RunAsync(server, "datasets", "delete", dataset);

        Assert.True(delete.ExitCode == ExitCodes.Success, delete.ToString());
        Assert.Equal($"Deleted dataset {dataset}.\n", delete.Out);
        Assert.DoesNotContain(dataset, (await CliProcess.RunAsync(server, "datasets", "list")).Out, StringComparison.Ordinal);
        var again = await CliProcess.RunAsync(server, "datasets", "delete", dataset);
        Assert.True(again.ExitCode == ExitCodes.ApiError, again.ToString());
        Assert.Equal($"error: 404 Not Found: No such dataset. There is no dataset {dataset} for your API key.\n", again.Error);
    }

    [Fact]
    public async Task A_model_a_running_job_uses_is_not_deleted_and_jobs_list_shows_the_job()
    {
        var model = await UploadModelAsync("in-use");
        var dataset = await UploadDatasetAsync();
        var prune = await CliProcess.RunAsync(server, "prune", "--model", model, "--dataset", dataset, "--method", "magnitude",
            "--target-flops", "0.5", "--option", "epochs=5000", "--json");
        var job = JsonDocument.Parse(prune.Out).RootElement.GetProperty("id").GetString()!;
        try
        {
            var delete = await CliProcess.RunAsync(server, "models", "delete", model);

            Assert.True(delete.ExitCode == ExitCodes.ApiError, delete.ToString());
            Assert.Equal("error: 409 Conflict: The model is in use. A queued or running job uses this model; cancel it first.\n", delete.Error);
            var jobs = await CliProcess.RunAsync(server, "jobs", "list");
            Assert.Matches($"(?m)^{job}  \\d{{4}}-\\d\\d-\\d\\d \\d\\d:\\d\\d  (queued|running) +magnitude ", jobs.Out);
        }
        finally
        {
            await CliProcess.RunAsync(server, "jobs", "cancel", job);
        }
    }

    [Fact]
    public async Task A_page_out_of_range_is_refused_by_the_cli_itself()
    {
        var run = await CliProcess.RunAsync("jobs", "list", "--page", "0", "--url", "http://127.0.0.1:1");
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.StartsWith("error: --page must be 1 or more.", run.Error, StringComparison.Ordinal);
    }

    private async Task<string> UploadModelAsync(string name)
    {
        var run = await CliProcess.RunAsync(server, "models", "upload", RepoPaths.Fixture("tiny_mlp.onnx"), "--name", name, "--json");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        return JsonDocument.Parse(run.Out).RootElement.GetProperty("id").GetString()!;
    }

    private async Task<string> UploadDatasetAsync()
    {
        var run = await CliProcess.RunAsync(server, "datasets", "upload", "--inputs", RepoPaths.Fixture("fashion_test_1k-images-idx3-ubyte.gz"),
            "--labels", RepoPaths.Fixture("fashion_test_1k-labels-idx1-ubyte.gz"), "--json");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        return JsonDocument.Parse(run.Out).RootElement.GetProperty("id").GetString()!;
    }
}
