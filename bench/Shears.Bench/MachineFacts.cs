using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Shears.Bench;

/// <summary>What the figures were measured on.</summary>
internal static partial class MachineFacts
{
    public static string Cpu() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";

    public static string Memory() =>
        File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal", StringComparison.Ordinal)) is { } line
            ? $"{long.Parse(Digits().Match(line).Value) / 1024 / 1024} GB"
            : "unknown";

    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    public static string Os() => RuntimeInformation.OSDescription;

    /// <summary>Peak resident set size of this process so far (VmHWM), in MB.</summary>
    public static double PeakRssMb() =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM", StringComparison.Ordinal)) is { } line
            ? long.Parse(Digits().Match(line).Value) / 1024.0
            : double.NaN;

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();
}
