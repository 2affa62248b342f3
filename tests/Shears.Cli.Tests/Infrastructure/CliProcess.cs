using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Shears.Cli.Tests.Infrastructure;

/// <summary>
/// The built <c>shears</c> program running as a real child process (the apphost the build copies next to the tests),
/// its standard output and error kept apart; it can be interrupted with SIGINT, as Ctrl-C in a terminal does.
/// </summary>
internal sealed class CliProcess : IDisposable
{
    private const int SigInt = 2;
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _error = new();

    private CliProcess(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "shears"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment.Remove("SHEARS_URL");
        start.Environment.Remove("SHEARS_API_KEY");
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(_out, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_error, e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts <c>shears ARGS --url … --api-key …</c> against <paramref name="server"/>.</summary>
    public static CliProcess Start(ShearsServer server, params string[] args)
        => new([.. args, "--url", server.Url, "--api-key", ShearsServer.ApiKey]);

    public static CliProcess Start(params string[] args) => new(args);

    /// <summary>Runs <c>shears ARGS</c> against <paramref name="server"/> to its end.</summary>
    public static async Task<ShearsCli.Run> RunAsync(ShearsServer server, params string[] args)
    {
        using var process = Start(server, args);
        return await process.WaitAsync(TimeSpan.FromMinutes(2));
    }

    public static async Task<ShearsCli.Run> RunAsync(params string[] args)
    {
        using var process = Start(args);
        return await process.WaitAsync(TimeSpan.FromMinutes(2));
    }

    public string Error => Read(_error);

    /// <summary>Waits until the process has written <paramref name="text"/> to standard error.</summary>
    public async Task WaitForErrorAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Error.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"shears never wrote '{text}' (exited: {_process.HasExited}).\n{Snapshot()}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>SIGINT, what Ctrl-C sends.</summary>
    public void Interrupt()
    {
        if (SendSignal(_process.Id, SigInt) != 0)
        {
            throw new InvalidOperationException($"kill -INT {_process.Id} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    public async Task<ShearsCli.Run> WaitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return Snapshot();
    }

    private ShearsCli.Run Snapshot() => new(_process.HasExited ? _process.ExitCode : -1, Read(_out), Read(_error));

    private static void Append(StringBuilder text, string? line)
    {
        if (line is not null)
        {
            lock (text)
            {
                text.AppendLine(line);
            }
        }
    }

    private static string Read(StringBuilder text)
    {
        lock (text)
        {
            return text.ToString();
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
