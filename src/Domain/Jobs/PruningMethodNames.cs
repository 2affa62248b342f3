namespace Shears.Domain.Jobs;

/// <summary>The wire names of <see cref="PruningMethod"/>: <c>magnitude</c>, <c>fisher</c>, <c>l0</c>.</summary>
public static class PruningMethodNames
{
    public static IReadOnlyList<string> All { get; } = Enum.GetValues<PruningMethod>().Select(ToWire).ToArray();

    public static string ToWire(this PruningMethod method) => method.ToString().ToLowerInvariant();

    public static bool TryParse(string? name, out PruningMethod method)
    {
        method = default;
        return name is not null && All.Contains(name) && Enum.TryParse(name, ignoreCase: true, out method);
    }
}
