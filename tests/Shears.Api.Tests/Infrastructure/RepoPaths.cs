namespace Shears.Api.Tests.Infrastructure;

/// <summary>Where the repository's files are, found from the test assembly's folder.</summary>
internal static class RepoPaths
{
    public static readonly string Root = FindRoot();

    public static string Fixture(string file) => Path.Combine(Root, "tests", "fixtures", file);

    /// <summary>The Worker built next to this test run (same configuration), run as a separate process by the e2e tests.</summary>
    public static string WorkerDll()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(Root, "src", "Worker", "bin", configuration, "net10.0", "linux-x64", "Shears.Worker.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the Worker first: {dll} is missing.");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Service.sln")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("Service.sln not found above the test assembly.");
    }
}
