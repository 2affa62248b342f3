using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Shears.Domain.Datasets;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Persistence;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using Shears.Worker.Telemetry;

namespace Shears.Worker.Jobs;

/// <summary>
/// Runs one pruning job by id: claims it in the database, feeds the engine from the artifact store, reports
/// progress as job events, and records the outcome (artifacts, the pruned model, the result) in one commit.
/// </summary>
public sealed partial class PruneJobRunner(
    IDbContextFactory<ShearsDbContext> contexts,
    IArtifactStore store,
    JobEventLog events,
    EngineSettings engineSettings,
    ReconcilerSettings settings,
    ILogger<PruneJobRunner> logger) : IPruneJob
{
    /// <summary>Starts of one job (first run plus retries) before an infrastructure failure fails it for good.</summary>
    public const int MaxAttempts = 3;

    private static readonly string WorkerId = $"{Environment.MachineName}:{Environment.ProcessId}";

    public Task RunOnCpuAsync(Guid jobId, CancellationToken shutdown) => RunAsync(jobId, shutdown);

    public Task RunOnGpuAsync(Guid jobId, CancellationToken shutdown) => RunAsync(jobId, shutdown);

    public async Task RunAsync(Guid jobId, CancellationToken shutdown)
    {
        var job = await ClaimAsync(jobId, shutdown);
        if (job is null)
        {
            return;
        }
        LogStarted(jobId, job.Attempts);
        if (job.Attempts == 1 && job.StartedAt is { } started)
        {
            ShearsTelemetry.QueueWait.Record((started - job.CreatedAt).TotalSeconds);
        }
        await events.AppendStatusAsync(job, JobStatus.Running, $"Started on {WorkerId} (attempt {job.Attempts}).", shutdown);

        await using var watchdog = new JobWatchdog(contexts, jobId, WorkerId);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(shutdown, watchdog.CancelRequested, watchdog.OwnershipLost);
        try
        {
            PruneRequest request;
            int numClasses;
            using (ShearsTelemetry.StartSpan("load inputs"))
            {
                (request, numClasses) = await LoadRequestAsync(job, shutdown);
            }
            var progress = new JobProgressReporter(events, job);
            PruneOutcome outcome;
            using (ShearsTelemetry.StartSpan("prune"))
            {
                outcome = await Task.Run(() => new PruningEngine(engineSettings).Run(request, progress, cancellation.Token), cancellation.Token);
            }
            using (ShearsTelemetry.StartSpan("store results"))
            {
                await CompleteAsync(job, outcome, JobWarnings.For(outcome.Before, outcome.After, numClasses), shutdown);
            }
        }
        catch (Exception ex) when (ex is JobTakenOverException || (ex is OperationCanceledException && watchdog.OwnershipLost.IsCancellationRequested))
        {
            LogOwnershipLost(jobId); // another worker runs it now and will write its outcome
        }
        catch (OperationCanceledException) when (watchdog.CancelRequested.IsCancellationRequested)
        {
            await FinishAsync(job, JobStatus.Cancelled, "Cancelled at the user's request.", CancellationToken.None);
        }
        catch (CancelledWhileFinishingException)
        {
            await FinishAsync(job, JobStatus.Cancelled, "Cancelled at the user's request as it was finishing; its result is discarded.", CancellationToken.None);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            // Not the job's failure: the attempt is given back with it, and Hangfire requeues it for another worker.
            await ReleaseAsync(job, $"The worker {WorkerId} is shutting down; the job goes back to the queue.", countsAsAttempt: false);
            LogHandedBack(jobId);
            throw;
        }
        catch (Exception ex) when (!JobFailures.IsInfrastructure(ex) || job.Attempts >= MaxAttempts)
        {
            LogFailed(ex, jobId);
            await FinishAsync(job, JobStatus.Failed, JobFailures.Describe(ex, job.Attempts), CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogWillRetry(ex, jobId, job.Attempts);
            await ReleaseAsync(job, $"Attempt {job.Attempts} failed ({JobFailures.Summary(ex)}); it will be retried.", countsAsAttempt: true);
            throw;
        }
    }

    /// <summary>
    /// Takes the job if it is queued, or running with a stale heartbeat (its worker died). Returns null when
    /// there is nothing to do: unknown id, already finished, or held by a live worker.
    /// </summary>
    private async Task<PruningJob?> ClaimAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = DateTime.UtcNow;
        var staleBefore = now - settings.StaleAfter;
        var claimed = await db.Jobs
            .Where(j => j.Id == jobId && !j.CancelRequested
                && (j.Status == JobStatus.Queued || (j.Status == JobStatus.Running && (j.HeartbeatAt == null || j.HeartbeatAt < staleBefore))))
            .ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, JobStatus.Running)
                .SetProperty(j => j.StartedAt, j => j.StartedAt ?? now)
                .SetProperty(j => j.HeartbeatAt, now)
                .SetProperty(j => j.WorkerId, WorkerId)
                .SetProperty(j => j.Attempts, j => j.Attempts + 1), cancellationToken);
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, cancellationToken);
        if (claimed == 0 && job is { CancelRequested: true, Status: JobStatus.Queued or JobStatus.Running })
        {
            await FinishAsync(job, JobStatus.Cancelled, "Cancelled before it started.", cancellationToken);
        }
        return claimed == 1 ? job : null;
    }

    private async Task<(PruneRequest Request, int NumClasses)> LoadRequestAsync(PruningJob job, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var model = await db.Models.AsNoTracking().FirstOrDefaultAsync(m => m.Id == job.ModelId, cancellationToken)
            ?? throw new PruningFailedException($"Model {job.ModelId} no longer exists.");
        var onnx = await store.ReadAllBytesAsync(model.Sha256, cancellationToken);
        var dataset = await DatasetForAsync(db, job.DatasetId, cancellationToken);
        (JobDataset Dataset, int NumClasses)? evalDataset = job.EvalDatasetId is { } evalId ? await DatasetForAsync(db, evalId, cancellationToken) : null;
        if (!PruningMethodNames.TryParse(job.Method, out var method))
        {
            throw new PruningFailedException($"Unknown method '{job.Method}'.");
        }
        var options = JsonSerializer.Deserialize<PruningOptions>(job.OptionsJson, JobEventLog.Json) ?? new PruningOptions();
        var checkpoints = new JobCheckpoints(contexts, store, job.Id, WorkerId,
            await JobCheckpoints.LoadAsync(contexts, store, job.Id, cancellationToken));
        var target = job.TargetJson is { } json ? TargetJson.Read(json) : new PruningTarget(job.TargetFlops, job.TargetParams);
        var request = new PruneRequest(onnx, dataset.Dataset, method, target, options, checkpoints, evalDataset?.Dataset);
        return (request, dataset.NumClasses);
    }

    /// <summary>
    /// Image archives, and array files (IDX, .npy, .npz, .safetensors) taking more than <see cref="EngineSettings.MaxHeldDatasetBytes"/>,
    /// are read a batch at a time from the store; smaller ones are read whole and held on the device (faster steps).
    /// </summary>
    private async Task<(JobDataset Dataset, int NumClasses)> DatasetForAsync(ShearsDbContext db, Guid id, CancellationToken cancellationToken)
    {
        var row = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, cancellationToken)
            ?? throw new PruningFailedException($"Dataset {id} no longer exists.");
        Stream Open(string sha256) => store.OpenReadAsync(sha256, cancellationToken).GetAwaiter().GetResult(); // opened on the engine's thread
        if (row.IsImageArchive)
        {
            return (new JobDataset.Stored(new StoredDatasetFiles(() => Open(row.InputsSha256), row.InputsFileName, null, null)), row.NumClasses);
        }
        if (HeldDatasetSize.Bytes(row) > engineSettings.MaxHeldDatasetBytes)
        {
            var labelsSha256 = row.LabelsSha256;
            return (new JobDataset.Stored(new StoredDatasetFiles(() => Open(row.InputsSha256), row.InputsFileName,
                labelsSha256 is null ? null : () => Open(labelsSha256), row.LabelsFileName, row.Arrays())), row.NumClasses);
        }
        await using var inputs = await store.OpenReadAsync(row.InputsSha256, cancellationToken);
        await using var labels = row.LabelsSha256 is null ? null : await store.OpenReadAsync(row.LabelsSha256, cancellationToken);
        return (DatasetReader.Read(inputs, row.InputsFileName, labels, row.LabelsFileName, new DatasetLimits()), row.NumClasses);
    }

    /// <summary>
    /// Stores the artifacts (each written whole before it is visible), registers the pruned model and marks the
    /// job succeeded, all rows in one transaction with the final status event. Each warning is a <c>warning</c> event
    /// before it, and is in the result.
    /// </summary>
    private async Task CompleteAsync(PruningJob job, PruneOutcome outcome, IReadOnlyList<string> warnings, CancellationToken cancellationToken)
    {
        var sourceName = await SourceModelNameAsync(job, cancellationToken);
        var prunedBlob = await store.SaveAsync(outcome.PrunedOnnx, cancellationToken);
        var prunedModel = StoredModelFactory.Create(job.TenantId, $"{sourceName} (pruned by job {job.Id:N})", prunedBlob,
            ModelInspector.Inspect(outcome.PrunedOnnx), job.Id);
        var models = new List<StoredModel>();
        var levels = new List<JobLevel>();
        foreach (var level in outcome.Levels ?? [])
        {
            // Every level is a model of its own; the smallest is also the job's pruned.onnx and result.modelId.
            var model = level == outcome.Levels![^1] ? prunedModel : StoredModelFactory.Create(job.TenantId,
                $"{sourceName} ({level.Target:P0} level of job {job.Id:N})", await store.SaveAsync(level.Network.PrunedOnnx, cancellationToken),
                ModelInspector.Inspect(level.Network.PrunedOnnx), job.Id);
            models.Add(model);
            levels.Add(new JobLevel(level.Target, model.Id, level.Network.After, level.Network.Layers));
        }
        if (!models.Contains(prunedModel))
        {
            models.Add(prunedModel);
        }
        var result = new JobResult(prunedModel.Id, outcome.Before, outcome.After, outcome.Layers, warnings, outcome.Objective, outcome.EvaluatedOn, outcome.FineTuning,
            outcome.Levels is null ? null : levels, outcome.Candidates);
        var finishedAt = DateTime.UtcNow;
        var report = new JobReport(job.Id, job.ModelId, job.DatasetId, job.Method, job.TargetFlops, job.TargetParams,
            job.TargetJson is { } target ? (object)JsonSerializer.Deserialize<JsonElement>(target) : null,
            JsonSerializer.Deserialize<JsonElement>(job.OptionsJson), result, outcome.Trajectory, finishedAt, outcome.Sparsity,
            ParetoTable.For(outcome, levels, prunedModel.Id));
        var artifacts = new List<JobArtifact>
        {
            Artifact(job.Id, JobArtifactNames.PrunedOnnx, prunedBlob),
            Artifact(job.Id, JobArtifactNames.Weights, await store.SaveAsync(outcome.WeightsSafetensors, cancellationToken)),
            Artifact(job.Id, JobArtifactNames.Report,
                await store.SaveAsync(JsonSerializer.SerializeToUtf8Bytes(report, JobEventLog.Json), cancellationToken)),
        };
        if (RenderReportPlot(report) is { } png)
        {
            artifacts.Add(Artifact(job.Id, JobArtifactNames.ReportPng, await store.SaveAsync(png, cancellationToken)));
        }

        foreach (var warning in warnings)
        {
            await events.AppendAsync(job.Id, job.TenantId, JobEventType.Warning, new LogEventData(warning), cancellationToken);
        }
        var ready = warnings.Count == 0 ? "Pruned network ready." : $"Pruned network ready, with {warnings.Count} warning{(warnings.Count == 1 ? "" : "s")}: {string.Join(" ", warnings)}";
        string? checkpoint = null;
        RecordDuration(job, JobStatus.Succeeded, finishedAt);
        try
        {
            await events.AppendStatusAsync(job, JobStatus.Succeeded, ready, cancellationToken, async db =>
            {
                // Locked: a cancel committed before this is seen here; one that comes after finds the job finished (409).
                var row = await db.FindLockedAsync<PruningJob>(job.TenantId, job.Id, RowLock.Update, cancellationToken);
                if (row!.WorkerId != WorkerId)
                {
                    throw new JobTakenOverException();
                }
                if (row.CancelRequested)
                {
                    throw new CancelledWhileFinishingException();
                }
                checkpoint = await JobCheckpoints.ForgetAsync(db, job.Id, cancellationToken);
                row.Status = JobStatus.Succeeded;
                row.Progress = 1;
                row.FinishedAt = finishedAt;
                row.ResultJson = JsonSerializer.Serialize(result, JobEventLog.Json);
                db.Models.AddRange(models);
                db.JobArtifacts.AddRange(artifacts);
            });
        }
        catch (CancelledWhileFinishingException)
        {
            await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
            await db.DeleteUnreferencedAsync(store, [.. artifacts.Select(a => a.Sha256), .. models.Select(m => m.Sha256)], CancellationToken.None);
            throw;
        }
        await DeleteCheckpointFileAsync(job.Id, checkpoint);
    }

    /// <summary>The report's plots; a job whose network was pruned does not fail for want of a picture.</summary>
    private byte[]? RenderReportPlot(JobReport report)
    {
        try
        {
            return ReportPlot.RenderPng(report);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReportPlotFailed(ex, report.JobId);
            return null;
        }
    }

    private static JobArtifact Artifact(Guid jobId, string name, StoredBlob blob) => new()
    {
        JobId = jobId,
        Name = name,
        Sha256 = blob.Sha256,
        SizeBytes = blob.SizeBytes,
        ContentType = JobArtifactNames.ContentTypes[name],
    };

    private async Task<string> SourceModelNameAsync(PruningJob job, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Models.Where(m => m.Id == job.ModelId).Select(m => m.Name).FirstOrDefaultAsync(cancellationToken) ?? "model";
    }

    private static void RecordDuration(PruningJob job, JobStatus status, DateTime finishedAt)
    {
        if (job.StartedAt is { } started)
        {
            ShearsTelemetry.JobDuration.Record((finishedAt - started).TotalSeconds,
                new KeyValuePair<string, object?>("method", job.Method), new KeyValuePair<string, object?>("status", status.ToWire()));
        }
    }

    private async Task FinishAsync(PruningJob job, JobStatus status, string message, CancellationToken cancellationToken)
    {
        RecordDuration(job, status, DateTime.UtcNow);
        string? checkpoint = null;
        await events.AppendStatusAsync(job, status, message, cancellationToken, async db =>
        {
            var row = await db.Jobs.FindAsync([job.Id], cancellationToken);
            row!.Status = status;
            row.FinishedAt = DateTime.UtcNow;
            row.Error = status == JobStatus.Failed ? message : null;
            row.WorkerId = null;
            checkpoint = await JobCheckpoints.ForgetAsync(db, job.Id, cancellationToken);
        });
        await DeleteCheckpointFileAsync(job.Id, checkpoint);
    }

    /// <summary>
    /// Deletes the file of a checkpoint the job's end forgot. The job's outcome is committed by then, so a store that
    /// fails here (it may be why the job failed) leaves the file, which no row names, rather than failing the run again.
    /// </summary>
    private async Task DeleteCheckpointFileAsync(Guid jobId, string? sha256)
    {
        try
        {
            await JobCheckpoints.DeleteFileAsync(contexts, store, sha256);
        }
        catch (IOException ex)
        {
            LogCheckpointLeft(ex, jobId);
        }
    }

    /// <summary>
    /// Gives the job back (status queued) so that the retry, or another worker, starts it again. An attempt that
    /// did not fail (the worker was asked to stop) is not counted against the job's <see cref="MaxAttempts"/>.
    /// </summary>
    private Task<long> ReleaseAsync(PruningJob job, string message, bool countsAsAttempt)
        => events.AppendAsync(job.Id, job.TenantId, JobEventType.Log, new LogEventData(message), CancellationToken.None, async db =>
        {
            var row = await db.Jobs.FindAsync([job.Id]);
            row!.Status = JobStatus.Queued;
            row.WorkerId = null;
            row.HeartbeatAt = null;
            if (!countsAsAttempt)
            {
                row.Attempts--;
            }
        });

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} started (attempt {Attempt})")]
    private partial void LogStarted(Guid jobId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} was taken over by another worker; this run stops")]
    private partial void LogOwnershipLost(Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: report.png could not be rendered; the job goes on without it")]
    private partial void LogReportPlotFailed(Exception ex, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} ended, but the artifact store could not delete its last checkpoint, which no row names now")]
    private partial void LogCheckpointLeft(Exception ex, Guid jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} handed back to the queue: this worker is shutting down")]
    private partial void LogHandedBack(Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} failed")]
    private partial void LogFailed(Exception ex, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt} failed; Hangfire will retry")]
    private partial void LogWillRetry(Exception ex, Guid jobId, int attempt);
}
