using System.CommandLine;
using System.Text.Json;
using Shears.Cli.Api;

namespace Shears.Cli.Commands;

/// <summary>What every command's action shares: a client for the chosen service, output, and errors turned into exit codes.</summary>
public sealed class CommandRunner(ParseResult parse, GlobalOptions global, CliConsole console)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public ParseResult Parse { get; } = parse;

    public CliConsole Console { get; } = console;

    public bool Json => Parse.GetValue(global.Json);

    public ShearsClient Client { get; } = new(parse.GetValue(global.Url)!, parse.GetValue(global.ApiKey));

    /// <summary>Writes the service's answer as JSON with <c>--json</c>, otherwise as text.</summary>
    public void Write(JsonElement answer, Action<TextWriter> asText)
    {
        if (Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(answer, Indented));
        }
        else
        {
            asText(Console.Out);
        }
    }

    /// <summary>Binds <paramref name="action"/> as <paramref name="command"/>'s action.</summary>
    public static void Bind(Command command, GlobalOptions global, CliConsole console, Func<CommandRunner, CancellationToken, Task<int>> action)
        => command.SetAction((parse, cancellationToken) => RunAsync(new CommandRunner(parse, global, console), action, cancellationToken));

    private static async Task<int> RunAsync(CommandRunner runner, Func<CommandRunner, CancellationToken, Task<int>> action, CancellationToken cancellationToken)
    {
        using var client = runner.Client;
        try
        {
            return await action(runner, cancellationToken);
        }
        catch (ApiException ex)
        {
            await runner.Console.Error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.ApiError;
        }
        catch (HttpRequestException ex)
        {
            await runner.Console.Error.WriteLineAsync($"error: cannot reach the Shears service at {client.BaseAddress}: {ex.Message}");
            return ExitCodes.Unreachable;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            await runner.Console.Error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await runner.Console.Error.WriteLineAsync("Interrupted; what the service was asked before Ctrl-C goes on there.");
            return ExitCodes.Interrupted;
        }
        catch (HttpIOException ex)
        {
            await runner.Console.Error.WriteLineAsync($"error: the connection to the Shears service at {client.BaseAddress} broke off: {ex.Message}");
            return ExitCodes.Unreachable;
        }
        catch (IOException ex)
        {
            await runner.Console.Error.WriteLineAsync($"error: {ex.Message}"); // a local file: disk full, a folder in the way
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            // A stack trace helps no user: one sentence, and the unexpected-error code.
            await runner.Console.Error.WriteLineAsync($"error: the service's answer was not what this CLI expects ({ex.GetType().Name}: {ex.Message}).");
            return ExitCodes.Unexpected;
        }
    }
}
