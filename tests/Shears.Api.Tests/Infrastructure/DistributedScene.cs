namespace Shears.Api.Tests.Infrastructure;

/// <summary>
/// Distributed mode as deployed, for fault tests: a fresh database on the test cluster, a real Api process and a
/// real worker process, and a client of tenant alpha.
/// </summary>
internal sealed class DistributedScene : IDisposable
{
    private DistributedScene(string database, ApiProcess api, IReadOnlyDictionary<string, string>? workerSettings)
    {
        Database = database;
        Api = api;
        Worker = new WorkerProcess(database, api.ArtifactsPath, workerSettings);
        Client = api.ClientFor(ShearsApiFactory.AlphaKey);
    }

    public string Database { get; }

    public ApiProcess Api { get; }

    /// <summary>The worker started with the scene.</summary>
    public WorkerProcess Worker { get; }

    public HttpClient Client { get; }

    public static async Task<DistributedScene> StartAsync(PostgresServer postgres, IReadOnlyDictionary<string, string>? workerSettings = null)
    {
        var database = await postgres.CreateDatabaseAsync();
        return new DistributedScene(database, await ApiProcess.StartAsync(database), workerSettings);
    }

    /// <summary>Another worker process on the same database and artifact store.</summary>
    public WorkerProcess StartWorker(IReadOnlyDictionary<string, string>? settings = null) => new(Database, Api.ArtifactsPath, settings);

    /// <summary>Uploads tiny_cnn and the 1k Fashion-MNIST test images, and asks for a job on them.</summary>
    public async Task<Guid> QueueJobAsync(object options, string method = "magnitude")
    {
        var modelId = await (await Client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_cnn.onnx")))).CreatedIdAsync();
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
