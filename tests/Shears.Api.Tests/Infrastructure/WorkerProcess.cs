using System.Diagnostics;
using System.Text;

namespace Shears.Api.Tests.Infrastructure;

/// <summary>The real Worker (the built Shears.Worker.dll) as a separate process on the given database.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public WorkerProcess(string postgres, string artifactsPath)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        start.ArgumentList.Add(RepoPaths.WorkerDll());
        start.Environment["ConnectionStrings__Postgres"] = postgres;
        start.Environment["Artifacts__Path"] = artifactsPath;
        start.Environment["Worker__Queues"] = "cpu";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>What the worker printed so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }
}
