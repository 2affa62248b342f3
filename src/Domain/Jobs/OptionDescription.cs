namespace Shears.Domain.Jobs;

public enum OptionKind
{
    Number,
    WholeNumber,
    /// <summary>One of <see cref="OptionDescription.Choices"/>, as text (any letter case).</summary>
    Choice,
    /// <summary>One number, or a list of 1 to 4 numbers (one per channel), each in range.</summary>
    Numbers,
    /// <summary>true or false.</summary>
    Flag,
    /// <summary>An object of names (such as graph output names) to numbers, each in range.</summary>
    NumbersByName,
    /// <summary>An object of names (graph output names) to one of <see cref="OptionDescription.Choices"/> each.</summary>
    ChoicesByName,
}

/// <summary>
/// What one job option accepts, as <see cref="PruningOptionsParser"/> checks it: its kind, range or choices, and the
/// methods it applies to. A JSON null keeps the default.
/// </summary>
public sealed record OptionDescription(string Name, IReadOnlyList<PruningMethod> Methods, OptionKind Kind,
    double? Minimum, double? Maximum, bool MinimumExclusive, IReadOnlyList<string> Choices);
