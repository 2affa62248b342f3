using System.Text.Json;
using Shears.Cli.Commands;
using Shears.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Cli.Tests;

/// <summary>
/// Ctrl-C while the CLI follows a job stops the CLI, not the job: it says so and how to cancel the job, exits 130, and
/// the job runs on (before: the job was left running without a word, and the exit code was System.CommandLine's).
/// </summary>
[Collection(ServerTests.Name)]
public sealed class CliInterruptTests(ShearsServer server, ITestOutputHelper log)
{
    [Theory]
    [InlineData("prune")]
    [InlineData("jobs wait")]
    public async Task Ctrl_C_while_following_a_job_says_it_keeps_running_and_how_to_cancel_it(string command)
    {
        var (model, dataset) = await UploadAsync();
        string[] prune = ["prune", "--model", model, "--dataset", dataset, "--method", "magnitude", "--target-flops", "0.5", "--option", "epochs=5000"];
        string job;
        CliProcess follow;
        if (command == "prune")
        {
            follow = CliProcess.Start(server, [.. prune, "--wait"]);
            await follow.WaitForErrorAsync("following its progress", TimeSpan.FromMinutes(1));
            job = follow.Error.Split(' ')[1]; // "Job ID queued; following its progress."
        }
        else
        {
            job = await StartJobAsync(prune);
            follow = CliProcess.Start(server, "jobs", "wait", job);
        }
        try
        {
            using (follow)
            {
                await follow.WaitForErrorAsync("running: ", TimeSpan.FromMinutes(1));

                follow.Interrupt();

                var run = await follow.WaitAsync(TimeSpan.FromSeconds(30));
                log.WriteLine(run.ToString());
                Assert.True(run.ExitCode == ExitCodes.Interrupted, run.ToString());
                Assert.EndsWith(JobFollowing.InterruptedMessage(Guid.Parse(job)) + "\n", run.Error, StringComparison.Ordinal);
                Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
            }
            var get = await ShearsCli.RunAsync(server, "jobs", "get", job, "--json");
            Assert.Equal("running", JsonDocument.Parse(get.Out).RootElement.GetProperty("status").GetString());
        }
        finally
        {
            var cancel = await CliProcess.RunAsync(server, "jobs", "cancel", job);
            Assert.True(cancel.ExitCode == ExitCodes.Success, cancel.ToString());
        }
    }

    private async Task<string> StartJobAsync(string[] prune)
    {
        var run = await CliProcess.RunAsync(server, [.. prune, "--json"]);
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        return JsonDocument.Parse(run.Out).RootElement.GetProperty("id").GetString()!;
    }

    private async Task<(string Model, string Dataset)> UploadAsync()
    {
        var model = await ShearsCli.RunAsync(server, "models", "upload", RepoPaths.Fixture("tiny_mlp.onnx"), "--json");
        var dataset = await ShearsCli.RunAsync(server, "datasets", "upload", "--inputs", RepoPaths.Fixture("fashion_test_1k-images-idx3-ubyte.gz"),
            "--labels", RepoPaths.Fixture("fashion_test_1k-labels-idx1-ubyte.gz"), "--json");
        return (JsonDocument.Parse(model.Out).RootElement.GetProperty("id").GetString()!, JsonDocument.Parse(dataset.Out).RootElement.GetProperty("id").GetString()!);
    }
}
