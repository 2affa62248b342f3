using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shears.Api.Auth;
using Shears.Api.Contracts;
using Shears.Api.Extensions;
using Shears.Api.Uploads;
using Shears.Domain.Datasets;
using Shears.Domain.Persistence;

namespace Shears.Api.Apis;

/// <summary><c>/v1/datasets</c>: upload inputs + labels (IDX, .gz, .npy), list, get, delete.</summary>
public static class DatasetsApi
{
    private static readonly string[] Parts = ["inputs", "labels"];

    public static RouteGroupBuilder MapDatasetsApi(this RouteGroupBuilder v1)
    {
        var datasets = v1.MapGroup("/datasets").WithTags("Datasets");
        datasets.MapPost("/", UploadAsync)
            .Accepts<DatasetUploadForm>("multipart/form-data")
            .DisableAntiforgery()
            .RequireRateLimiting(RateLimitExtensions.UploadPolicy)
            .WithSummary("Upload a labelled dataset: multipart parts 'inputs' and 'labels' (IDX, optionally .gz, or .npy).");
        datasets.MapGet("/", ListAsync).WithSummary("Datasets of your tenant, newest first.");
        datasets.MapGet("/{id:guid}", GetAsync);
        datasets.MapDelete("/{id:guid}", DeleteAsync);
        return v1;
    }

    public static async Task<Created<DatasetResponse>> UploadAsync(HttpRequest request, string? name, ShearsDbContext db,
        IArtifactStore store, UploadLimits limits, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        await using var upload = await UploadReader.ReadAsync(request, store, limits.MaxDatasetFileBytes, Parts,
            blobs => db.DeleteUnreferencedAsync(store, blobs.Select(b => b.Sha256), CancellationToken.None), cancellationToken);
        var (inputs, labels) = (upload["inputs"], upload["labels"]);
        DatasetDescription dataset;
        await using (var inputStream = store.OpenRead(inputs.Blob.Sha256))
        await using (var labelStream = store.OpenRead(labels.Blob.Sha256))
        {
            dataset = DatasetReader.Describe(inputStream, inputs.FileName, labelStream, labels.FileName, limits.Dataset);
        }
        var row = new StoredDataset
        {
            Id = Guid.NewGuid(),
            TenantId = user.TenantId(),
            Name = string.IsNullOrWhiteSpace(name) ? inputs.FileName : name.Trim()[..Math.Min(name.Trim().Length, 200)],
            InputsSha256 = inputs.Blob.Sha256,
            InputsFileName = inputs.FileName,
            LabelsSha256 = labels.Blob.Sha256,
            LabelsFileName = labels.FileName,
            Samples = dataset.Samples,
            InputShapeJson = JsonSerializer.Serialize(dataset.SampleShape),
            NumClasses = dataset.NumClasses,
            SizeBytes = inputs.Blob.SizeBytes + labels.Blob.SizeBytes,
            CreatedAt = DateTime.UtcNow,
        };
        db.Datasets.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        upload.Keep();
        return TypedResults.Created($"/v1/datasets/{row.Id}", DatasetResponse.From(row));
    }

    public static async Task<Results<Ok<Page<DatasetResponse>>, ProblemHttpResult>> ListAsync([AsParameters] PageRequest page,
        ShearsDbContext db, ClaimsPrincipal user, CancellationToken cancellationToken)
        => await db.Datasets.OwnedBy(user.TenantId()).ToPageAsync(page, DatasetResponse.From, cancellationToken);

    public static async Task<Results<Ok<DatasetResponse>, ProblemHttpResult>> GetAsync(Guid id, ShearsDbContext db, ClaimsPrincipal user,
        CancellationToken cancellationToken)
        => await db.Datasets.OwnedBy(user.TenantId()).GetOneAsync(id, "dataset", DatasetResponse.From, cancellationToken);

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, ShearsDbContext db, IArtifactStore store,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var dataset = await db.Datasets.OwnedBy(user.TenantId()).FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (dataset is null)
        {
            return NotFound.Problem("dataset", id);
        }
        if (await db.Jobs.AnyAsync(j => j.DatasetId == id && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running), cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The dataset is in use.",
                detail: "A queued or running job uses this dataset; cancel it first.");
        }
        db.Datasets.Remove(dataset);
        await db.SaveChangesAsync(cancellationToken);
        await db.DeleteUnreferencedAsync(store, [dataset.InputsSha256, dataset.LabelsSha256], cancellationToken);
        return TypedResults.NoContent();
    }
}
