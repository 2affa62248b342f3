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

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("fisher")]
    [InlineData("l0")]
    public async Task A_levels_job_registers_one_model_per_level_with_decreasing_flops_and_lists_them(string method)
    {
        using var worker = new WorkerProcess(_connectionString, _api.ArtifactsPath);
        // l0 trains its gates once (80% of the steps) and fine-tunes each level for all of them.
        object options = method == "l0" ? new { steps = 200, batchSize = 50 } : new { steps = 20, stepsPerPrune = 2, channelsPerPrune = 4, batchSize = 50 };
        var outcome = await PruningFlow.RunJobAsync(Alpha, "tiny_mlp", method, new { flops = Levels }, options, Fashion2k);
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

        // Every candidate lists its figures: cost, the budget's figure and drop, accuracy and its agreement with the original.
        foreach (var candidate in candidates)
        {
            Assert.True(candidate.GetProperty("flops").GetInt64() > 0 && candidate.GetProperty("params").GetInt64() > 0, candidate.ToString());
            Assert.Equal(candidate.GetProperty("accuracy").GetDouble(), candidate.GetProperty("figure").GetDouble(), 9);
            Assert.Equal(before - candidate.GetProperty("figure").GetDouble(), candidate.GetProperty("drop").GetDouble(), 9);
            Assert.Equal(candidate.GetProperty("drop").GetDouble() <= 0.03, candidate.GetProperty("withinBudget").GetBoolean());
            Assert.InRange(Assert.Single(candidate.GetProperty("agreement").EnumerateArray()).GetProperty("top1Agreement").GetDouble(), 0, 1);
        }

        var jobId = outcome.Job.GetProperty("id").GetGuid();
        var report = JsonDocument.Parse(await Alpha.GetByteArrayAsync($"/v1/jobs/{jobId}/artifacts/report.json")).RootElement;
        Assert.Equal(candidates.Count + 1, report.GetProperty("pareto").GetArrayLength());
        Assert.Equal(0.03, report.GetProperty("target").GetProperty("accuracyDrop").GetDouble());
        Assert.Equal(result.GetProperty("candidates").GetRawText(), report.GetProperty("result").GetProperty("candidates").GetRawText());
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task An_agreement_drop_job_on_unlabeled_data_holds_the_agreement_with_the_original_and_lists_it_per_candidate()
    {
        using var worker = new WorkerProcess(_connectionString, _api.ArtifactsPath);
        var modelId = await (await Alpha.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("two_input_regression.onnx")))).CreatedIdAsync();
        var datasetId = await (await Alpha.UploadNpzAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("two_input_regression.npz")))).CreatedIdAsync();
        var jobId = await (await Alpha.CreateJobAsync(modelId, datasetId, new { agreementDrop = 0.1 },
            new { steps = 20, batchSize = 50, stepsPerPrune = 2 }, "fisher")).CreatedIdAsync();
        await Alpha.ReadEventsAsync(jobId, TimeSpan.FromMinutes(15));
        var job = await Alpha.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.True(job.GetProperty("status").GetString() == "succeeded", job.ToString());

        var result = job.GetProperty("result");
        Assert.Equal("distill", result.GetProperty("objective").GetString());
        var candidates = result.GetProperty("candidates").EnumerateArray().ToList();
        Assert.NotEmpty(candidates);
        foreach (var candidate in candidates)
        {
            // No labels: no accuracy. The output is [N, 4], so its figure is top-1 agreement with the original (the rank-2 rule
            // every figure follows), with its relative error and cosine beside it; the drop is 1 − agreement.
            Assert.False(candidate.TryGetProperty("accuracy", out _), candidate.ToString());
            var agreement = Assert.Single(candidate.GetProperty("agreement").EnumerateArray());
            Assert.Equal(agreement.GetProperty("top1Agreement").GetDouble(), candidate.GetProperty("figure").GetDouble(), 9);
            Assert.True(agreement.GetProperty("relativeError").GetDouble() > 0, agreement.ToString());
            Assert.Equal(1 - candidate.GetProperty("figure").GetDouble(), candidate.GetProperty("drop").GetDouble(), 9);
            Assert.Equal(candidate.GetProperty("drop").GetDouble() <= 0.1, candidate.GetProperty("withinBudget").GetBoolean());
        }
        var chosen = Assert.Single(candidates, c => c.GetProperty("chosen").GetBoolean());
        Assert.True(chosen.GetProperty("figure").GetDouble() >= 0.9, chosen.ToString());
        var after = result.GetProperty("after");
        Assert.Equal(chosen.GetProperty("flops").GetInt64(), after.GetProperty("flops").GetInt64());
        Assert.Equal(chosen.GetProperty("figure").GetDouble(), after.GetProperty("agreement")[0].GetProperty("top1Agreement").GetDouble(), 6);
        Assert.True(after.GetProperty("flops").GetInt64() < result.GetProperty("before").GetProperty("flops").GetInt64());

        // report.json's Pareto table carries each candidate's agreement (no labels, no accuracy); report.png plots it.
        var report = JsonDocument.Parse(await Alpha.GetByteArrayAsync($"/v1/jobs/{jobId}/artifacts/report.json")).RootElement;
        var pareto = report.GetProperty("pareto").EnumerateArray().ToList();
        Assert.Equal(candidates.Count + 1, pareto.Count);
        Assert.False(pareto[0].TryGetProperty("agreement", out _), pareto[0].ToString());
        Assert.Equal(candidates.Select(c => c.GetProperty("agreement").GetRawText()), pareto.Skip(1).Select(r => r.GetProperty("agreement").GetRawText()));
        Assert.Equal((byte)'P', (await Alpha.GetByteArrayAsync($"/v1/jobs/{jobId}/artifacts/report.png"))[1]);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _api.Dispose();
}
