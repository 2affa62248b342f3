using System.Security.Claims;
using System.Text.Json;
using Hangfire;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shears.Api.Auth;
using Shears.Api.Contracts;
using Shears.Api.Extensions;
using Shears.Api.Requests;
using Shears.Domain.Datasets.Images;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Persistence;
using Shears.Worker.Jobs;
using Shears.Api.Swagger;

namespace Shears.Api.Apis;

/// <summary><c>/v1/jobs</c>: create (validated before anything is queued), list, get, cancel.</summary>
public static class JobsApi
{
    public static RouteGroupBuilder MapJobsApi(this RouteGroupBuilder v1)
    {
        var jobs = v1.MapGroup("/jobs").WithTags("Jobs");
        jobs.MapPost("/", CreateAsync)
            .ReadsBody<CreateJobRequest>("application/json")
            .RequireRateLimiting(RateLimitExtensions.JobPolicy)
            .RefusesWith(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status413PayloadTooLarge,
                StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status422UnprocessableEntity, StatusCodes.Status429TooManyRequests)
            .WithSummary("Ask for a pruning job; 422 when the model, dataset or options cannot work together.");
        jobs.MapGet("/", ListAsync).RefusesWith(StatusCodes.Status400BadRequest).WithSummary("Jobs of your tenant, newest first.");
        jobs.MapGet("/{id:guid}", GetAsync).RefusesWith(StatusCodes.Status404NotFound);
        jobs.MapPost("/{id:guid}/cancel", CancelAsync).RefusesWith(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict).WithSummary("Stop the job at its next step.");
        return v1;
    }

    /// <summary>The body is read by <see cref="JobRequestParser"/>, which names every wrong, unknown or missing field.</summary>
    public static async Task<Results<Accepted<JobResponse>, ProblemHttpResult>> CreateAsync(HttpRequest httpRequest, ShearsDbContext db,
        JobDispatcher dispatcher, LiveWorkers liveWorkers, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var request = JobRequestParser.Parse(await JsonRequestBody.ReadAsync(httpRequest, cancellationToken));
        var spec = request.Spec;
        if (spec.Options.Device == "cuda" && !liveWorkers.AnyServes(JobQueues.Gpu))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "No live worker has a CUDA device.",
                detail: $"The job asks for device 'cuda', but no live worker serves the gpu queue, which only workers with a CUDA device serve " +
                    $"(live now: {liveWorkers.Describe()}). Use device 'auto' or 'cpu', or start a worker on a machine with an NVIDIA GPU.");
        }
        var tenant = user.TenantId();
        // The model and dataset stay locked until the job is committed, so a DELETE racing this request either waits
        // and then finds the job (409), or goes first and this request finds nothing (404).
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var model = await db.FindLockedAsync<StoredModel>(tenant, request.ModelId, RowLock.Share, cancellationToken);
        var dataset = await db.FindLockedAsync<StoredDataset>(tenant, request.DatasetId, RowLock.Share, cancellationToken);
        if (model is null || dataset is null)
        {
            return model is null ? NotFound.Problem("model", request.ModelId) : NotFound.Problem("dataset", request.DatasetId);
        }
        var evalDataset = request.EvalDatasetId is { } evalId
            ? await db.FindLockedAsync<StoredDataset>(tenant, evalId, RowLock.Share, cancellationToken)
            : null;
        if (request.EvalDatasetId is { } missing && evalDataset is null)
        {
            return NotFound.Problem("dataset", missing);
        }
        if (JobFit.Problem(model, dataset, evalDataset, spec.Target, spec.Options) is { } problem)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "The model and the dataset do not fit together.", detail: problem);
        }

        var job = new PruningJob
        {
            Id = Guid.NewGuid(),
            TenantId = tenant,
            ModelId = model.Id,
            DatasetId = dataset.Id,
            EvalDatasetId = evalDataset?.Id,
            Method = spec.Method.ToWire(),
            TargetFlops = spec.Target.Flops,
            TargetParams = spec.Target.Params,
            TargetJson = TargetJson.Write(spec.Target),
            OptionsJson = JsonSerializer.Serialize(spec.Options, JobEventLog.Json),
            Status = JobStatus.Queued,
            CreatedAt = DateTime.UtcNow,
        };
        // The job and its first event commit together; from then on the database holds the job, and a failed
        // hand-off to Hangfire only delays it (the reconciler enqueues queued jobs that no Hangfire job carries).
        db.Jobs.Add(job);
        JobEventLog.AddFirstStatus(db, job, JobStatus.Queued, "Waiting for a worker.");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (dispatcher.TryDispatch(job) is { } dispatchId)
        {
            job.DispatchId = dispatchId;
            await db.Jobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.DispatchId, dispatchId), CancellationToken.None);
        }
        return TypedResults.Accepted($"/v1/jobs/{job.Id}", JobResponse.From(job));
    }

    public static async Task<Results<Ok<Page<JobResponse>>, ProblemHttpResult>> ListAsync([AsParameters] PageRequest page,
        ShearsDbContext db, ClaimsPrincipal user, CancellationToken cancellationToken)
        => await db.Jobs.Include(j => j.Artifacts).OwnedBy(user.TenantId()).ToPageAsync(page, JobResponse.From, cancellationToken);

    public static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> GetAsync(Guid id, ShearsDbContext db, ClaimsPrincipal user,
        CancellationToken cancellationToken)
        => await db.Jobs.Include(j => j.Artifacts).OwnedBy(user.TenantId()).GetOneAsync(id, "job", JobResponse.From, cancellationToken);

    /// <summary>
    /// Sets the cancel flag; a queued job is cancelled at once (and its Hangfire job deleted), a running one
    /// by its worker at the next step.
    /// </summary>
    public static async Task<Results<Accepted<JobResponse>, ProblemHttpResult>> CancelAsync(Guid id, ShearsDbContext db, JobEventLog events,
        IBackgroundJobClient hangfire, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var job = await db.Jobs.OwnedBy(user.TenantId()).FirstOrDefaultAsync(j => j.Id == id, cancellationToken);
        if (job is null)
        {
            return NotFound.Problem("job", id);
        }
        // One statement that looks at the status as it sets the flag: a worker storing the job's result holds the row, and
        // this waits for it and then finds the job finished (409) rather than accepting a cancel that cannot happen.
        var flagged = await db.Jobs.Where(j => j.Id == id && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.CancelRequested, true), cancellationToken);
        if (flagged == 0)
        {
            await db.Entry(job).ReloadAsync(cancellationToken);
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The job has already finished.",
                detail: $"Job {id} is {job.Status.ToWire()}; there is nothing to cancel.");
        }
        var cancelledWhileQueued = await db.Jobs.Where(j => j.Id == id && j.Status == JobStatus.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Cancelled).SetProperty(j => j.FinishedAt, DateTime.UtcNow), cancellationToken);
        if (cancelledWhileQueued == 1)
        {
            await events.AppendStatusAsync(job, JobStatus.Cancelled, "Cancelled before it started.", cancellationToken);
            if (job.DispatchId is not null)
            {
                hangfire.Delete(job.DispatchId);
            }
        }
        await db.Entry(job).ReloadAsync(cancellationToken);
        return TypedResults.Accepted($"/v1/jobs/{id}", JobResponse.From(job));
    }
}
