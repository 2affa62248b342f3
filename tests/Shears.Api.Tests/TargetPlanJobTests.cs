using System.Text.Json;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests;

/// <summary>
/// Levels and budget jobs through the Api on PostgreSQL with a worker process: every level registered as a model of its own,
/// the result listing the levels or the candidates, report.json's Pareto table and report.png.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class TargetPlanJobTests(PostgresServer postgres) : IAsyncLifetime, IDisposable
{
    private static readonly double[] Levels = [0.7, 0.5, 0.3];

    private static readonly (string, string) Fashion2k = (ApiCalls.FashionImages2k, ApiCalls.FashionLabels2k);

    private ShearsApiFactory _api = null!;
    private string _connectionString = "";

    private HttpClient Alpha => _api.ClientFor(ShearsApiFactory.AlphaKey);

    public async Task InitializeAsync()
    {
        _connectionString = await postgres.CreateDatabaseAsync();
        _api = new ShearsApiFactory(_connectionString);
        _ = _api.Server;
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_levels_job_registers_one_model_per_level_with_decreasing_flops_and_lists_them()
    {
        using var worker = new WorkerProcess(_connectionString, _api.ArtifactsPath);
        var outcome = await PruningFlow.RunJobAsync(Alpha, "tiny_mlp", "fisher", new { flops = Levels },
            new { steps = 20, stepsPerPrune = 2, channelsPerPrune = 4, batchSize = 50 }, Fashion2k);
        await PruningFlow.AssertSucceededAsync(Alpha, outcome);
        var job = outcome.Job;
        var jobId = job.GetProperty("id").GetGuid();
        Assert.Equal("""{"flops":[0.7,0.5,0.3]}""", job.GetProperty("target").GetRawText());

        var result = job.GetProperty("result");
        var before = result.GetProperty("before").GetProperty("flops").GetInt64();
        var levels = result.GetProperty("levels").EnumerateArray().ToList();
        Assert.Equal([0.7, 0.5, 0.3], levels.Select(l => l.GetProperty("target").GetDouble()));
        var flops = levels.Select(l => l.GetProperty("after").GetProperty("flops").GetInt64()).ToList();
        Assert.True(flops.Zip(flops.Skip(1)).All(p => p.First > p.Second), string.Join(" > ", flops));
        Assert.All(levels, l => Assert.True(l.GetProperty("after").GetProperty("flops").GetInt64() <= l.GetProperty("target").GetDouble() * before));
        var modelIds = levels.Select(l => l.GetProperty("modelId").GetGuid()).ToList();
        Assert.Equal(3, modelIds.Distinct().Count());
        Assert.Equal(result.GetProperty("modelId").GetGuid(), modelIds[^1]);
        for (var i = 0; i < levels.Count; i++)
        {
            // Each level is a model of the tenant, made by this job, whose file ONNX Runtime runs and whose inspection matches the result.
            var model = await Alpha.GetJsonAsync($"/v1/models/{modelIds[i]}");
            Assert.Equal(jobId, model.GetProperty("sourceJobId").GetGuid());
            Assert.Equal(flops[i], model.GetProperty("inspection").GetProperty("flops").GetInt64());
            var onnx = await Alpha.GetByteArrayAsync($"/v1/models/{modelIds[i]}/content");
            Assert.True(PruningFlow.OrtAccuracy(onnx, samples: 200) > 0.4, $"level {i}");
        }

        var report = JsonDocument.Parse(await Alpha.GetByteArrayAsync($"/v1/jobs/{jobId}/artifacts/report.json")).RootElement;
        var pareto = report.GetProperty("pareto").EnumerateArray().ToList();
        Assert.Equal(["original", "level 0.7", "level 0.5", "level 0.3"], pareto.Select(r => r.GetProperty("network").GetString()));
        Assert.All(pareto, r => Assert.True(r.GetProperty("latencyMs").GetDouble() > 0));
        Assert.Equal(modelIds, pareto.Skip(1).Select(r => r.GetProperty("modelId").GetGuid()));
        var png = await Alpha.GetByteArrayAsync($"/v1/jobs/{jobId}/artifacts/report.png");
        Assert.Equal((byte)'P', png[1]);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task An_accuracy_drop_job_ends_within_its_budget_and_lists_its_candidates()
    {
        using var worker = new WorkerProcess(_connectionString, _api.ArtifactsPath);
        var outcome = await PruningFlow.RunJobAsync(Alpha, "tiny_mlp", "magnitude", new { accuracyDrop = 0.03 },
            new { steps = 20, batchSize = 50, scope = "layer" }, Fashion2k);
        await PruningFlow.AssertSucceededAsync(Alpha, outcome);
        Assert.Equal("""{"accuracyDrop":0.03,"by":"flops"}""", outcome.Job.GetProperty("target").GetRawText());

        var result = outcome.Job.GetProperty("result");
        var before = result.GetProperty("before").GetProperty("accuracy").GetDouble();
        var after = result.GetProperty("after").GetProperty("accuracy").GetDouble();
        Assert.True(after >= before - 0.03, $"{before:P2} → {after:P2}");
        var candidates = result.GetProperty("candidates").EnumerateArray().ToList();
        Assert.True(candidates.Count >= 2, result.ToString());
        var chosen = Assert.Single(candidates, c => c.GetProperty("chosen").GetBoolean());
        Assert.True(chosen.GetProperty("withinBudget").GetBoolean());
        Assert.Equal(after, chosen.GetProperty("figure").GetDouble(), 6);

        var jobId = outcome.Job.GetProperty("id").GetGuid();
        var report = JsonDocument.Parse(await Alpha.GetByteArrayAsync($"/v1/jobs/{jobId}/artifacts/report.json")).RootElement;
        Assert.Equal(candidates.Count + 1, report.GetProperty("pareto").GetArrayLength());
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _api.Dispose();
}
