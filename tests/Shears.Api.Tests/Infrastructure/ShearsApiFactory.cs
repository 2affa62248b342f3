using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Shears.Api.Tests.Infrastructure;

/// <summary>
/// The real Api in memory (real HTTP pipeline, real database, real artifact store in a temp folder). Embedded
/// mode unless a PostgreSQL connection string is given.
/// </summary>
public sealed class ShearsApiFactory : WebApplicationFactory<Program>
{
    public const string AlphaKey = "alpha-key-0123456789";
    public const string BetaKey = "beta-key-9876543210";
    public const string AdminKey = "admin-key-5555555555";

    private readonly Dictionary<string, string?> _settings;

    private readonly bool _ownsData;

    /// <param name="dataDirectory">Reuse the SQLite file and artifacts of an earlier host (a restart).</param>
    /// <param name="keepData">Leave the data folder behind on dispose, for a host that starts after this one.</param>
    public ShearsApiFactory(string? postgres = null, bool withKeys = true, IDictionary<string, string?>? extra = null,
        string? dataDirectory = null, bool keepData = false)
    {
        _ownsData = dataDirectory is null && !keepData;
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), $"shears-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(DataDirectory);
        _settings = new Dictionary<string, string?>
        {
            ["Database:SqlitePath"] = Path.Combine(DataDirectory, "shears.db"),
            ["Artifacts:Path"] = ArtifactsPath,
            ["ConnectionStrings:Postgres"] = postgres,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (withKeys)
        {
            _settings["Auth:ApiKeys:0:Tenant"] = "alpha";
            _settings["Auth:ApiKeys:0:Key"] = AlphaKey;
            _settings["Auth:ApiKeys:1:Tenant"] = "beta";
            _settings["Auth:ApiKeys:1:Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(BetaKey)));
            _settings["Auth:AdminKey"] = AdminKey;
        }
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    public string DataDirectory { get; }

    public string ArtifactsPath => Path.Combine(DataDirectory, "artifacts");

    public HttpClient ClientFor(string? apiKey)
    {
        var client = CreateClient();
        client.Timeout = TimeSpan.FromMinutes(10);
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsData && Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
