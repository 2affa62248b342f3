using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Shears.Api.Auth;

namespace Shears.Cli.Tests.Infrastructure;

/// <summary>
/// The real service in embedded mode (SQLite, in-process worker, artifacts in a temp folder) on a real Kestrel
/// listening on 127.0.0.1 at a free port, so clients talk to it over TCP as they would in production.
/// </summary>
public sealed class ShearsServer : WebApplicationFactory<ApiKeyRegistry>, IAsyncLifetime
{
    public const string ApiKey = "cli-test-key-0123456789";

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"shears-cli-test-{Guid.NewGuid():N}");
    private readonly int _port = FreePort();

    public string Url => $"http://127.0.0.1:{_port}";

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dataDirectory);
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, _port));
        StartServer();
        return Task.CompletedTask;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Database:SqlitePath", Path.Combine(_dataDirectory, "shears.db"));
        builder.UseSetting("Artifacts:Path", Path.Combine(_dataDirectory, "artifacts"));
        builder.UseSetting("Auth:ApiKeys:0:Tenant", "cli");
        builder.UseSetting("Auth:ApiKeys:0:Key", ApiKey);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class ServerTests : ICollectionFixture<ShearsServer>
{
    public const string Name = "shears server";
}
