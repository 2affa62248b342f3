namespace Shears.Api.Tests.Infrastructure;

/// <summary>Where the repository's files are, found from the test assembly's folder.</summary>
internal static class RepoPaths
{
    public static readonly string Root = FindRoot();

    public static string Fixture(string file) => Path.Combine(Root, "tests", "fixtures", file);

    /// <summary>
    /// A program of src/ built next to this test run (same configuration), run as a separate process by the e2e
    /// tests: e.g. ("Worker", "Shears.Worker.dll").
    /// </summary>
    public static string BuiltDll(string project, string dll)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(Root, "src", project, "bin", configuration, "net10.0", "linux-x64", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build src/{project} first: {path} is missing.");
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
