using System.Diagnostics;
using Npgsql;

namespace Shears.Api.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL for the tests: the one in <c>SHEARS_TEST_POSTGRES</c> (a connection string), or a throwaway
/// cluster started from /usr/lib/postgresql/15/bin on a free loopback port in a temp folder and removed at the end.
/// Each test gets a database of its own from <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string BinDir = "/usr/lib/postgresql/15/bin";
    private string? _clusterDir;
    private string _serverOptions = "";

    public string AdminConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable("SHEARS_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(external))
        {
            AdminConnectionString = external;
            return;
        }
        _clusterDir = Path.Combine(Path.GetTempPath(), $"shears-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_clusterDir);
        await RunAsync("chown", "postgres:postgres", _clusterDir);
        var data = Path.Combine(_clusterDir, "data");
        await RunAsPostgresAsync($"{BinDir}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
        var port = LoopbackPort.Free();
        _serverOptions = $"-p {port} -k {_clusterDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200";
        await StartClusterAsync();
        AdminConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false";
    }

    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"shears_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <summary>
    /// Restarts the throwaway cluster as an operator or a failover would: <c>pg_ctl stop</c> in fast mode (every
    /// session is cut), <paramref name="down"/> with no server at all, then <c>pg_ctl start</c> on the same port.
    /// Only possible with the cluster this fixture started.
    /// </summary>
    public async Task RestartAsync(TimeSpan down)
    {
        if (_clusterDir is null)
        {
            throw new InvalidOperationException("SHEARS_TEST_POSTGRES names a server these tests do not own; they cannot restart it.");
        }
        await RunAsPostgresAsync($"{BinDir}/pg_ctl", "-D", Path.Combine(_clusterDir, "data"), "-m", "fast", "-w", "-t", "60", "stop");
        await Task.Delay(down);
        await StartClusterAsync();
    }

    /// <summary>
    /// Stops the throwaway cluster (fast mode: every session cut), runs <paramref name="whileDown"/> with no server at
    /// all, and starts it again on the same port, whatever <paramref name="whileDown"/> did.
    /// </summary>
    public async Task WhileDownAsync(Func<Task> whileDown)
    {
        if (_clusterDir is null)
        {
            throw new InvalidOperationException("SHEARS_TEST_POSTGRES names a server these tests do not own; they cannot stop it.");
        }
        await RunAsPostgresAsync($"{BinDir}/pg_ctl", "-D", Path.Combine(_clusterDir, "data"), "-m", "fast", "-w", "-t", "60", "stop");
        try
        {
            await whileDown();
        }
        finally
        {
            await StartClusterAsync();
        }
    }

    private Task StartClusterAsync() => RunAsPostgresAsync($"{BinDir}/pg_ctl", "-D", Path.Combine(_clusterDir!, "data"),
        "-l", Path.Combine(_clusterDir!, "server.log"), "-w", "-t", "60", "-o", _serverOptions, "start");

    public async Task DisposeAsync()
    {
        if (_clusterDir is null)
        {
            return;
        }
        await RunAsPostgresAsync($"{BinDir}/pg_ctl", "-D", Path.Combine(_clusterDir, "data"), "-m", "immediate", "-w", "stop");
        Directory.Delete(_clusterDir, recursive: true);
    }

    private static Task RunAsPostgresAsync(string program, params string[] args) => RunAsync("runuser", ["-u", "postgres", "--", program, .. args]);

    private static async Task RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {await output}{await error}");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresTests : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
