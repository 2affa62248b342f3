using System.Diagnostics;
using System.Runtime.Versioning;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests;

/// <summary>
/// docker compose refuses to start with the example's known keys and password: its check-env service runs
/// deploy/check-env.sh before PostgreSQL or the Api start, and deploy/make-env.sh writes a .env it accepts. The scripts
/// run here as compose runs them (sh, the values in the environment); Docker itself is not needed.
/// </summary>
[SupportedOSPlatform("linux")] // compose runs the scripts with a POSIX sh; the test reads the file mode
public sealed class ComposeSecretsTests
{
    private static readonly string[] Secrets = ["POSTGRES_PASSWORD", "SHEARS_API_KEY", "SHEARS_ADMIN_KEY"];

    [Fact]
    public async Task The_example_env_files_values_are_refused_each_by_name()
    {
        var example = EnvFile(Path.Combine(RepoPaths.Root, "deploy", "shears.env.example"));

        var (exitCode, error) = await RunAsync("check-env.sh", example);

        Assert.Equal(1, exitCode);
        foreach (var name in Secrets)
        {
            Assert.Contains($"check-env: {name} in .env is the example's '{example[name]}', which anyone can read;", error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("shears")]                  // the compose file's former password default
    [InlineData("dev-key-change-me")]       // its former API key default
    [InlineData("0123456789abcde")]         // 15 characters
    [InlineData("")]
    public async Task A_former_default_or_a_short_value_is_refused(string value)
    {
        var values = new Dictionary<string, string> { ["POSTGRES_PASSWORD"] = value, ["SHEARS_API_KEY"] = new('k', 32), ["SHEARS_ADMIN_KEY"] = new('a', 32) };

        var (exitCode, error) = await RunAsync("check-env.sh", values);

        Assert.Equal(1, exitCode);
        Assert.StartsWith("check-env: POSTGRES_PASSWORD in .env ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("SHEARS_", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Make_env_writes_random_values_check_env_accepts_readable_by_the_owner_only_and_never_overwrites()
    {
        var folder = Directory.CreateTempSubdirectory("shears-env-");
        try
        {
            var path = Path.Combine(folder.FullName, ".env");
            var (made, _) = await RunAsync("make-env.sh", new Dictionary<string, string>(), path);
            Assert.Equal(0, made);
            var written = EnvFile(path);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(3, Secrets.Select(name => written[name]).Distinct().Count());
            Assert.Equal(48, written["SHEARS_S3_SECRET_KEY"].Length); // the object-store override refuses to start without it

            var (checkedCode, checkError) = await RunAsync("check-env.sh", written);
            Assert.True(checkedCode == 0, checkError);

            var before = await File.ReadAllTextAsync(path);
            var (again, againError) = await RunAsync("make-env.sh", new Dictionary<string, string>(), path);
            Assert.Equal(1, again);
            Assert.Contains("exists; it is left as it is", againError, StringComparison.Ordinal);
            Assert.Equal(before, await File.ReadAllTextAsync(path));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static Dictionary<string, string> EnvFile(string path) => File.ReadAllLines(path)
        .Where(line => line.Length > 0 && !line.StartsWith('#'))
        .Select(line => line.Split('=', 2))
        .ToDictionary(pair => pair[0], pair => pair[1]);

    private static async Task<(int ExitCode, string Error)> RunAsync(string script, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "deploy", script));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var name in Secrets)
        {
            start.Environment.Remove(name);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await error);
    }
}
