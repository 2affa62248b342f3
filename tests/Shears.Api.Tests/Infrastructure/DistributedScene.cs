namespace Shears.Api.Tests.Infrastructure;

/// <summary>
/// Distributed mode as deployed, for fault tests: a fresh database on the test cluster, a real Api process and a
/// real worker process, and a client of tenant alpha.
/// </summary>
internal sealed class DistributedScene : IDisposable
{
    private readonly IReadOnlyDictionary<string, string>? _settings;

    private DistributedScene(string database, ApiProcess api, IReadOnlyDictionary<string, string>? settings)
    {
        Database = database;
        Api = api;
        _settings = settings;
        Worker = new WorkerProcess(database, api.ArtifactsPath, settings);
        Client = api.ClientFor(ShearsApiFactory.AlphaKey);
    }

    public string Database { get; }

    public ApiProcess Api { get; private set; }

    /// <summary>The worker started with the scene.</summary>
    public WorkerProcess Worker { get; }

    public HttpClient Client { get; }

    /// <param name="settings">Given to the Api and to every worker (e.g. <c>Jobs__StaleAfterSeconds</c>, which they must agree on).</param>
    public static async Task<DistributedScene> StartAsync(PostgresServer postgres, IReadOnlyDictionary<string, string>? settings = null)
    {
        var database = await postgres.CreateDatabaseAsync();
        return new DistributedScene(database, await ApiProcess.StartAsync(database, settings), settings);
    }

    /// <summary>Another worker process on the same database and artifact store; <paramref name="extra"/> adds to the scene's settings.</summary>
    public WorkerProcess StartWorker(IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>(_settings ?? new Dictionary<string, string>());
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }
        return new(Database, Api.ArtifactsPath, settings);
    }

    /// <summary>
    /// SIGKILLs the Api and starts another on the same address, database and artifacts (<see cref="ApiProcess.KillAndRestartAsync"/>);
    /// <see cref="Client"/> keeps working once it is up. <paramref name="settings"/> replace the scene's for the new Api.
    /// </summary>
    public async Task RestartApiAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var killed = Api;
        Api = await killed.KillAndRestartAsync(settings ?? _settings);
        killed.Dispose();
    }

    /// <summary>Uploads a fixture network (tiny_cnn unless told) and the 1k Fashion-MNIST test images, and asks for a job on them.</summary>
    public async Task<Guid> QueueJobAsync(object options, string method = "magnitude", string network = "tiny_cnn")
    {
        var modelId = await (await Client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture($"{network}.onnx")))).CreatedIdAsync();
        var datasetId = await (await Client.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();
        return await (await Client.CreateJobAsync(modelId, datasetId, new { flops = 0.5 }, options, method)).CreatedIdAsync();
    }

    public void Dispose()
    {
        Client.Dispose();
        Worker.Dispose();
        Api.Dispose();
    }
}
