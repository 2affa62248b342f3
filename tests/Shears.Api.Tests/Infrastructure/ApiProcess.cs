using System.Net;

namespace Shears.Api.Tests.Infrastructure;

/// <summary>
/// The real Api (the built Shears.Api.dll) as a separate process behind Kestrel on a loopback port, in distributed
/// mode on the given database (or in embedded mode on SQLite): real HTTP, real request-size limits, and a process
/// whose memory can be measured.
/// </summary>
public sealed class ApiProcess : IDisposable
{
    private readonly DotnetProcess _process;
    private readonly string? _postgres;
    private bool _ownsDataDirectory = true;

    private ApiProcess(string? postgres, string dataDirectory, Uri baseAddress, IReadOnlyDictionary<string, string> extra)
    {
        _postgres = postgres;
        DataDirectory = dataDirectory;
        BaseAddress = baseAddress;
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = BaseAddress.ToString(),
            ["Artifacts__Path"] = ArtifactsPath,
            ["Auth__ApiKeys__0__Tenant"] = "alpha",
            ["Auth__ApiKeys__0__Key"] = ShearsApiFactory.AlphaKey,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        environment[postgres is null ? "Database__SqlitePath" : "ConnectionStrings__Postgres"] = postgres ?? Path.Combine(dataDirectory, "shears.db");
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }
        // An empty value takes a setting away (e.g. the API key, for keyless mode).
        foreach (var key in environment.Where(e => e.Value.Length == 0).Select(e => e.Key).ToList())
        {
            environment.Remove(key);
        }
        // The working directory is the data folder, so a stray relative path would show up there.
        _process = new DotnetProcess(RepoPaths.BuiltDll("Api", "Shears.Api.dll"), environment, dataDirectory);
    }

    public Uri BaseAddress { get; }

    public string DataDirectory { get; }

    public string ArtifactsPath => Path.Combine(DataDirectory, "artifacts");

    public DotnetProcess Process => _process;

    /// <summary>
    /// Starts the Api in embedded mode (SQLite, jobs in the process) and waits until <c>/healthz</c> answers on
    /// <paramref name="port"/> (a free one unless given; <paramref name="extra"/> may then say how the Api learns it).
    /// </summary>
    public static Task<ApiProcess> StartEmbeddedAsync(IReadOnlyDictionary<string, string>? extra = null, int? port = null) => StartAsync(null, extra, port);

    /// <summary>Starts the Api (distributed mode, or embedded when <paramref name="postgres"/> is null) and waits until <c>/healthz</c> answers.</summary>
    public static async Task<ApiProcess> StartAsync(string? postgres, IReadOnlyDictionary<string, string>? extra = null, int? port = null)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"shears-api-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dataDirectory);
        return await WaitUntilUpAsync(new ApiProcess(postgres, dataDirectory, new Uri($"http://127.0.0.1:{port ?? LoopbackPort.Free()}"), extra ?? new Dictionary<string, string>()));
    }

    /// <summary>
    /// SIGKILLs this Api (no chance to clean up, as when its machine dies) and starts a new one in its place: same
    /// address, database and artifact folder, as an orchestrator restarting the container would. The new process owns
    /// the data folder from then on.
    /// </summary>
    public async Task<ApiProcess> KillAndRestartAsync(IReadOnlyDictionary<string, string>? extra = null)
    {
        _process.Kill();
        _ownsDataDirectory = false;
        return await WaitUntilUpAsync(new ApiProcess(_postgres, DataDirectory, BaseAddress, extra ?? new Dictionary<string, string>()));
    }

    private static async Task<ApiProcess> WaitUntilUpAsync(ApiProcess api)
    {
        using var probe = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (api._process.HasExited)
            {
                throw new InvalidOperationException($"The Api exited with {api._process.ExitCode}:\n{api._process.Output}");
            }
            try
            {
                if ((await probe.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK)
                {
                    return api;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            if (DateTime.UtcNow > deadline)
            {
                api.Dispose();
                throw new TimeoutException($"The Api did not answer /healthz within 60 s:\n{api._process.Output}");
            }
            await Task.Delay(250);
        }
    }

    public HttpClient ClientFor(string? apiKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }
        return client;
    }

    public void Dispose()
    {
        _process.Dispose();
        if (_ownsDataDirectory && Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
