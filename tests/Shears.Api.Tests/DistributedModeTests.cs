using System.Diagnostics;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shears.Api.Tests.Infrastructure;
using Shears.Domain.Graph;
using Shears.Domain.Persistence;

namespace Shears.Api.Tests;

/// <summary>The Api on real PostgreSQL (migrations, Hangfire.PostgreSql, LISTEN/NOTIFY) with a separate Worker process.</summary>
[Collection(PostgresTests.Name)]
public sealed class DistributedModeTests(PostgresServer postgres) : IAsyncLifetime, IDisposable
{
    private ShearsApiFactory _api = null!;
    private string _connectionString = "";

    private HttpClient Alpha => _api.ClientFor(ShearsApiFactory.AlphaKey);

    public async Task InitializeAsync()
    {
        _connectionString = await postgres.CreateDatabaseAsync();
        _api = new ShearsApiFactory(_connectionString);
        _ = _api.Server; // start: applies the migrations
    }

    [Fact]
    public async Task The_Api_migrates_the_database_and_is_ready()
    {
        Assert.Equal(HttpStatusCode.OK, (await _api.ClientFor(null).GetAsync("/readyz")).StatusCode);
        await using var db = await Contexts.CreateDbContextAsync();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        Assert.Contains(await db.Database.GetAppliedMigrationsAsync(), m => m.EndsWith("_MultiArrayDatasets", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_event_written_by_another_process_reaches_the_stream_through_NOTIFY()
    {
        var jobId = await CreateQueuedJobAsync();
        var reading = Alpha.ReadEventsAsync(jobId, TimeSpan.FromSeconds(30));
        await Task.Delay(1000); // the stream has replayed the queued event and waits

        // Written with plain SQL, as another process would: no in-process signal, only the trigger's NOTIFY.
        var clock = Stopwatch.StartNew();
        await using (var db = await Contexts.CreateDbContextAsync())
        {
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"UPDATE jobs SET status = 'failed', finished_at = now() WHERE id = {jobId}");
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"INSERT INTO job_events (job_id, sequence, tenant_id, type, data_json, created_at) VALUES ({jobId}, 2, 'alpha', 'status', '{{\"status\":\"failed\",\"message\":\"from elsewhere\"}}', now())");
        }
        var events = await reading;
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"the stream took {clock.Elapsed} to wake; the fallback poll is 5 s");
        Assert.Equal(["queued", "failed"], events.Select(e => e.Json.GetProperty("status").GetString()));
        Assert.Equal([1L, 2L], events.Select(e => e.Id));
    }

    [Fact]
    public async Task Cancelling_a_queued_job_ends_it_at_once_and_ends_its_stream()
    {
        var jobId = await CreateQueuedJobAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await Alpha.PostAsync($"/v1/jobs/{jobId}/cancel", null)).StatusCode);
        var events = await Alpha.ReadEventsAsync(jobId, TimeSpan.FromSeconds(30));
        Assert.Equal(["queued", "cancelled"], events.Select(e => e.Json.GetProperty("status").GetString()));
        Assert.Equal("cancelled", (await Alpha.GetJsonAsync($"/v1/jobs/{jobId}")).GetProperty("status").GetString());
        await (await Alpha.PostAsync($"/v1/jobs/{jobId}/cancel", null)).AssertProblemAsync(HttpStatusCode.Conflict, "cancelled");
        // Replay from the middle gives only what follows.
        Assert.Equal([2L], (await Alpha.ReadEventsAsync(jobId, TimeSpan.FromSeconds(30), lastEventId: 1)).Select(e => e.Id));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_worker_process_runs_the_job_and_a_job_that_cannot_run_fails_once_with_its_reason()
    {
        var jobId = await CreateQueuedJobAsync();
        await using (var db = await Contexts.CreateDbContextAsync())
        {
            // The dataset disappears behind the Api's back before any worker runs: the job's own fault, not retried.
            await db.Datasets.ExecuteDeleteAsync();
        }
        using var worker = new WorkerProcess(_connectionString, _api.ArtifactsPath);
        var events = await Alpha.ReadEventsAsync(jobId, TimeSpan.FromMinutes(2));

        var statuses = events.Where(e => e.Type == "status").Select(e => e.Json.GetProperty("status").GetString()).ToArray();
        Assert.True(statuses.SequenceEqual(["queued", "running", "failed"]), $"{string.Join(",", statuses)}\n{worker.Output}");
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Id));
        var job = await Alpha.GetJsonAsync($"/v1/jobs/{jobId}");
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Contains("no longer exists", job.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_magnitude_job_runs_on_a_separate_worker_process_from_upload_to_a_smaller_network()
    {
        // The Api runs no jobs in this mode: only the worker process can make this job succeed.
        using var worker = new WorkerProcess(_connectionString, _api.ArtifactsPath);
        var outcome = await PruningFlow.RunMagnitudeJobAsync(Alpha);
        await PruningFlow.AssertSucceededAsync(Alpha, outcome);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_fisher_job_runs_on_a_separate_worker_process_and_reaches_its_FLOPs_target_round_by_round()
    {
        const double target = 0.5;
        using var worker = new WorkerProcess(_connectionString, _api.ArtifactsPath);
        var outcome = await PruningFlow.RunJobAsync(Alpha, "tiny_mlp", "fisher", new { flops = target }, new { steps = 40, stepsPerPrune = 2, batchSize = 50 },
            (ApiCalls.FashionImages2k, ApiCalls.FashionLabels2k));
        await PruningFlow.AssertSucceededAsync(Alpha, outcome);

        var result = outcome.Job.GetProperty("result");
        var flops = (double)result.GetProperty("after").GetProperty("flops").GetInt64() / result.GetProperty("before").GetProperty("flops").GetInt64();
        Assert.InRange(flops, target * 0.9, target);
        var removals = outcome.Events.Where(e => e.Type == "progress" && e.Json.TryGetProperty("message", out var m) && m.GetString()!.StartsWith("removed ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(removals);
        // Each round names what it removed: channels by their Δ, and those whose Δ was exactly 0 as one batch.
        Assert.All(removals, e => Assert.Matches(@"\(Δ = |whose Δ was 0", e.Json.GetProperty("message").GetString()));
        Assert.Contains(removals, e => e.Json.GetProperty("message").GetString()!.Contains("(Δ = ", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task An_l0_job_runs_on_a_separate_worker_process_and_lands_within_five_percent_of_its_FLOPs_target()
    {
        const double target = 0.3;
        using var worker = new WorkerProcess(_connectionString, _api.ArtifactsPath);
        var outcome = await PruningFlow.RunJobAsync(Alpha, "tiny_mlp", "l0", new { flops = target }, new { steps = 300, batchSize = 50 },
            (ApiCalls.FashionImages2k, ApiCalls.FashionLabels2k));
        await PruningFlow.AssertSucceededAsync(Alpha, outcome);

        var result = outcome.Job.GetProperty("result");
        var flops = (double)result.GetProperty("after").GetProperty("flops").GetInt64() / result.GetProperty("before").GetProperty("flops").GetInt64();
        Assert.InRange(flops, target * 0.95, target * 1.05);
        Assert.Contains(outcome.Events, e => e.Type == "progress" && e.Json.TryGetProperty("message", out var m) && m.GetString()!.Contains("expected cost", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_job_Hangfire_cannot_take_is_still_accepted_and_the_reconciler_hands_it_to_a_worker()
    {
        // A second Api on the same database whose reconciler looks every second.
        await using var reconciling = new ShearsApiFactory(_connectionString,
            extra: new Dictionary<string, string?> { ["Jobs:ReconcileIntervalSeconds"] = "1", ["Jobs:ReconcileGraceSeconds"] = "0" });
        _ = reconciling.Server;
        Guid jobId;
        await RenameHangfireJobTableAsync("ALTER TABLE hangfire.job RENAME TO job_unreachable");
        try
        {
            jobId = await CreateQueuedJobAsync(); // asserts 202 Accepted
        }
        finally
        {
            await RenameHangfireJobTableAsync("ALTER TABLE hangfire.job_unreachable RENAME TO job");
        }
        await using (var db = await Contexts.CreateDbContextAsync())
        {
            var stored = await db.Jobs.SingleAsync(j => j.Id == jobId);
            Assert.Equal(JobStatus.Queued, stored.Status);
        }

        using var worker = new WorkerProcess(_connectionString, _api.ArtifactsPath);
        var events = await Alpha.ReadEventsAsync(jobId, TimeSpan.FromMinutes(2));
        var statuses = events.Where(e => e.Type == "status").Select(e => e.Json.GetProperty("status").GetString()).ToArray();
        Assert.True(statuses.SequenceEqual(["queued", "running", "succeeded"]), $"{string.Join(",", statuses)}\n{worker.Output}");
        Assert.Contains(events, e => e.Type == "log" && e.Json.GetProperty("message").GetString()!.Contains("queued again", StringComparison.Ordinal));
    }

    private async Task RenameHangfireJobTableAsync(string sql)
    {
        await using var db = await Contexts.CreateDbContextAsync();
        await db.Database.ExecuteSqlRawAsync(sql);
    }

    /// <summary>A model row seeded directly (its bytes in the store) plus a real dataset upload, and a job on them.</summary>
    private async Task<Guid> CreateQueuedJobAsync()
    {
        var store = _api.Services.GetRequiredService<IArtifactStore>();
        var blob = await store.SaveAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx")), CancellationToken.None);
        var inspection = new ModelInspection(13, [new TensorDescription("input", [-1, 1, 28, 28])], [new TensorDescription("output", [-1, 10])],
            25818, 51200, 1, [], [], []);
        var model = StoredModelFactory.Create("alpha", "tiny_mlp", blob, inspection);
        await using (var db = await Contexts.CreateDbContextAsync())
        {
            db.Models.Add(model);
            await db.SaveChangesAsync();
        }
        var datasetId = await (await Alpha.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();
        return await (await Alpha.CreateJobAsync(model.Id, datasetId)).CreatedIdAsync();
    }

    private IDbContextFactory<ShearsDbContext> Contexts => _api.Services.GetRequiredService<IDbContextFactory<ShearsDbContext>>();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    public void Dispose() => _api.Dispose();
}
