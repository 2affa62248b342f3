using System.Globalization;

namespace Shears.Load;

/// <summary>One scenario's figures: each with what it should be and whether it held.</summary>
internal sealed record Measured(string Scenario, string Setup, IReadOnlyList<Figure> Figures);

/// <summary>A figure of a scenario; <see cref="Held"/> is null when the figure has no goal.</summary>
internal sealed record Figure(string Name, string Value, string Goal = "", bool? Held = null);

internal static class Percentiles
{
    public static double Of(IReadOnlyCollection<double> values, double fraction)
    {
        if (values.Count == 0)
            return double.NaN;
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(fraction * sorted.Length) - 1)];
    }

    public static string Ms(double milliseconds) => milliseconds.ToString("F1", CultureInfo.InvariantCulture) + " ms";
}
