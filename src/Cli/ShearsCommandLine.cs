using System.CommandLine;
using Shears.Cli.Commands;

namespace Shears.Cli;

/// <summary>The <c>shears</c> command tree, and one run of it with exit codes a pipeline can act on.</summary>
public static class ShearsCommandLine
{
    public static RootCommand Build(CliConsole console)
    {
        var global = new GlobalOptions();
        var root = new RootCommand("Shears: prune neural networks as a service (upload ONNX + dataset, prune, download).");
        global.AddTo(root);
        root.Subcommands.Add(ModelsCommands.Create(global, console));
        root.Subcommands.Add(DatasetsCommands.Create(global, console));
        root.Subcommands.Add(PruneCommand.Create(global, console));
        root.Subcommands.Add(JobsCommands.Create(global, console));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var parse = Build(console).Parse(args);
        var configuration = new InvocationConfiguration { Output = console.Out, Error = console.Error };
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await console.Error.WriteLineAsync($"error: {error.Message}");
            }
            await console.Error.WriteLineAsync("Try 'shears --help'.");
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync(configuration, cancellationToken);
    }
}
