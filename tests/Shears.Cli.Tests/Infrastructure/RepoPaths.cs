namespace Shears.Cli.Tests.Infrastructure;

/// <summary>Where the repository's files are, found from the test assembly's folder.</summary>
internal static class RepoPaths
{
    public static readonly string Root = FindRoot();

    public static string Fixture(string file) => Path.Combine(Root, "tests", "fixtures", file);

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
