namespace Shears.Api.Tests.Infrastructure;

/// <summary>The real Worker (the built Shears.Worker.dll) as a separate process on the given database; <c>extra</c> settings win.</summary>
public sealed class WorkerProcess(string postgres, string artifactsPath, IReadOnlyDictionary<string, string>? extra = null) : IDisposable
{
    private readonly DotnetProcess _process = new(RepoPaths.BuiltDll("Worker", "Shears.Worker.dll"), new Dictionary<string, string>
    {
        ["ConnectionStrings__Postgres"] = postgres,
        ["Artifacts__Path"] = artifactsPath,
        ["Worker__Queues"] = "cpu",
    }.Concat(extra ?? new Dictionary<string, string>()).GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.Last().Value), Path.GetTempPath());

    public DotnetProcess Process => _process;

    /// <summary>What the worker printed so far, for failure messages.</summary>
    public string Output => _process.Output;

    public bool HasExited => _process.HasExited;

    public void Dispose() => _process.Dispose();
}
