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
}
