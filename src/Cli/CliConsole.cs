using Spectre.Console;

namespace Shears.Cli;

/// <summary>
/// Where the CLI writes: results to <see cref="Out"/> (what a pipeline parses), messages and the progress bar to
/// <see cref="Error"/>. Tests pass their own writers.
/// </summary>
public sealed class CliConsole(TextWriter output, TextWriter error, IAnsiConsole progress)
{
    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    /// <summary>The console the live progress bar draws on (standard error, so standard output stays clean).</summary>
    public IAnsiConsole Progress { get; } = progress;

    public static CliConsole System() => new(Console.Out, Console.Error,
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }));

    /// <summary>A console on plain writers, without colours or animation.</summary>
    public static CliConsole Plain(TextWriter output, TextWriter error) => new(output, error, AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.No,
        ColorSystem = ColorSystemSupport.NoColors,
        Interactive = InteractionSupport.No,
        Out = new AnsiConsoleOutput(error),
    }));
}
