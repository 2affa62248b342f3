using System.Text.Json;
using Shears.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Cli.Tests;

/// <summary>
/// A job trained into the ground still meets its target and succeeds; it must say so. tiny_mlp fine-tuned with SGD at a
/// learning rate of 10 ends near chance: the job succeeds with a warning in its events (shown under the progress bar),
/// in its result (shown by <c>jobs get</c>) and in its final status message.
/// </summary>
[Collection(ServerTests.Name)]
public sealed class JobWarningsTests(ShearsServer server, ITestOutputHelper log)
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_job_whose_network_collapses_to_chance_succeeds_with_a_warning_everywhere_the_job_is_shown()
    {
        var model = await ShearsCli.RunAsync(server, "models", "upload", RepoPaths.Fixture("tiny_mlp.onnx"), "--json");
        var dataset = await ShearsCli.RunAsync(server, "datasets", "upload", "--inputs", RepoPaths.Fixture("fashion_train_2k-images-idx3-ubyte.gz"),
            "--labels", RepoPaths.Fixture("fashion_train_2k-labels-idx1-ubyte.gz"), "--json");

        var prune = await ShearsCli.RunAsync(server, "prune", "--model", IdOf(model.Out), "--dataset", IdOf(dataset.Out), "--method", "magnitude",
            "--target-flops", "0.5", "--option", "epochs=1", "--option", "optimizer=sgd", "--option", "learningRate=10", "--wait");
        log.WriteLine(prune.ToString());
        Assert.True(prune.ExitCode == ExitCodes.Success, prune.ToString());
        Assert.Contains("warning: The pruned network's held-out accuracy", prune.Error, StringComparison.Ordinal); // the warning event
        Assert.Contains("succeeded: Pruned network ready, with 1 warning: ", prune.Error, StringComparison.Ordinal); // the status event
        Assert.Contains("  warning: The pruned network's held-out accuracy", prune.Out, StringComparison.Ordinal); // the result

        var jobId = prune.Out.Split(' ', ':', '\n')[1];
        var job = JsonDocument.Parse((await ShearsCli.RunAsync(server, "jobs", "get", jobId, "--json")).Out).RootElement;
        var result = job.GetProperty("result");
        var after = result.GetProperty("after").GetProperty("accuracy").GetDouble();
        Assert.True(after <= 0.2, $"the collapse did not happen: {after:P1}");
        var warning = Assert.Single(result.GetProperty("warnings").EnumerateArray()).GetString()!;
        Assert.Contains("is near chance (10.0% for 10 classes", warning, StringComparison.Ordinal);
    }

    private static string IdOf(string json) => JsonDocument.Parse(json).RootElement.GetProperty("id").GetString()!;
}
