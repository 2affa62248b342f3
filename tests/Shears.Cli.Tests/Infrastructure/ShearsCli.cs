namespace Shears.Cli.Tests.Infrastructure;

/// <summary>Runs the <c>shears</c> command line in-process, as a shell would, and keeps what it printed.</summary>
internal static class ShearsCli
{
    public sealed record Run(int ExitCode, string Out, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
    }

    public static async Task<Run> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await ShearsCommandLine.RunAsync(args, CliConsole.Plain(output, error));
        return new Run(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Runs against <paramref name="server"/> with its API key.</summary>
    public static Task<Run> RunAsync(ShearsServer server, params string[] args)
        => RunAsync([.. args, "--url", server.Url, "--api-key", ShearsServer.ApiKey]);

    /// <summary>Uploads tiny_mlp and the 2,000 Fashion-MNIST training images with labels through the CLI; their ids.</summary>
    public static async Task<(string ModelId, string DatasetId)> UploadTinyMlpAndFashion2kAsync(ShearsServer server)
    {
        var model = await RunAsync(server, "models", "upload", RepoPaths.Fixture("tiny_mlp.onnx"), "--name", "tiny", "--json");
        Assert.True(model.ExitCode == ExitCodes.Success, model.ToString());
        var dataset = await RunAsync(server, "datasets", "upload", "--inputs", RepoPaths.Fixture("fashion_train_2k-images-idx3-ubyte.gz"),
            "--labels", RepoPaths.Fixture("fashion_train_2k-labels-idx1-ubyte.gz"), "--name", "fashion-2k", "--json");
        Assert.True(dataset.ExitCode == ExitCodes.Success, dataset.ToString());
        return (System.Text.Json.JsonDocument.Parse(model.Out).RootElement.GetProperty("id").GetString()!,
            System.Text.Json.JsonDocument.Parse(dataset.Out).RootElement.GetProperty("id").GetString()!);
    }
}
