using System.Diagnostics;
using System.Text.Json;

namespace Shears.Bench;

/// <summary>
/// This program run again with more arguments (a child mode), its last JSON line read as the result: a job in a process
/// of its own has its own peak resident memory and wall time. Other lines are echoed with <c>label</c>.
/// </summary>
internal static class ChildProcess
{
    public static T Run<T>(string[] args, string label)
    {
        string[] host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? [System.Reflection.Assembly.GetEntryAssembly()!.Location] : [];
        var start = new ProcessStartInfo(Environment.ProcessPath!, [.. host, .. args]) { RedirectStandardOutput = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"The benchmark process for {label} did not start.");
        string? last = null;
        while (process.StandardOutput.ReadLine() is { } line)
        {
            if (line.StartsWith('{'))
                last = line;
            else
                Console.WriteLine($"[{label}] {line}");
        }
        process.WaitForExit();
        return last is not null && process.ExitCode == 0
            ? JsonSerializer.Deserialize<T>(last)!
            : throw new InvalidOperationException($"The job {label} failed ({process.ExitCode}).");
    }
}
