using Shears.Cli.Commands;
using Shears.Cli.Tests.Infrastructure;

namespace Shears.Cli.Tests;

/// <summary>What the CLI decides by itself, before or without the service.</summary>
public sealed class CliUsageTests
{
    [Theory]
    [InlineData("prune", "--model", "not-a-guid", "--dataset", "0a1b2c3d-0000-0000-0000-000000000000")]
    [InlineData("prune", "--model", "0a1b2c3d-0000-0000-0000-000000000000", "--dataset", "0a1b2c3d-0000-0000-0000-000000000000", "--method", "random")]
    [InlineData("prune", "--model", "0a1b2c3d-0000-0000-0000-000000000000", "--dataset", "0a1b2c3d-0000-0000-0000-000000000000", "--option", "epochs")]
    [InlineData("datasets", "upload", "--inputs", "x.idx")]
    [InlineData("jobs", "explode", "0a1b2c3d-0000-0000-0000-000000000000")]
    public async Task A_malformed_command_line_gives_the_usage_code_and_says_why(params string[] args)
    {
        var run = await ShearsCli.RunAsync(args);
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.StartsWith("error: ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_that_is_not_there_gives_the_unreachable_code()
    {
        var run = await ShearsCli.RunAsync("jobs", "get", Guid.NewGuid().ToString(), "--url", "http://127.0.0.1:1");
        Assert.True(run.ExitCode == ExitCodes.Unreachable, run.ToString());
        Assert.Contains("cannot reach the Shears service at http://127.0.0.1:1/", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_local_file_gives_the_usage_code()
    {
        var run = await ShearsCli.RunAsync("models", "upload", "/nonexistent/net.onnx", "--url", "http://127.0.0.1:1");
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.Contains("/nonexistent/net.onnx", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Job_options_are_typed_numbers_booleans_and_strings()
    {
        var options = JobOptionsParser.Parse(["epochs=2", "learningRate=0.001", "norm=l2", "verbose=true"]);
        Assert.Equal("""{"epochs":2,"learningRate":0.001,"norm":"l2","verbose":true}""", options.ToJsonString());
    }
}
