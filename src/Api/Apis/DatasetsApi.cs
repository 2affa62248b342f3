using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shears.Api.Auth;
using Shears.Api.Contracts;
using Shears.Api.Extensions;
using Shears.Api.Requests;
using Shears.Api.Uploads;
using Shears.Domain.Datasets;
using Shears.Domain.Datasets.Images;
using Shears.Domain.Persistence;
using Shears.Api.Swagger;

namespace Shears.Api.Apis;

/// <summary>
/// <c>/v1/datasets</c>: upload inputs (IDX, .gz, .npy, a .npz or .safetensors of named arrays, or an image archive) and optional labels, list,
/// get, delete.
/// </summary>
public static class DatasetsApi
{
    private static readonly string[] Parts = ["inputs", "labels"];
    private static readonly string[] OptionalParts = ["labels"];

    public static RouteGroupBuilder MapDatasetsApi(this RouteGroupBuilder v1)
    {
        var datasets = v1.MapGroup("/datasets").WithTags("Datasets");
        datasets.MapPost("/", UploadAsync)
            .ReadsBody<DatasetUploadForm>(UploadReader.Multipart)
            .DisableAntiforgery()
            .RequireRateLimiting(RateLimitExtensions.UploadPolicy)
            .RefusesWith(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType,
                StatusCodes.Status422UnprocessableEntity, StatusCodes.Status429TooManyRequests)
            .WithSummary("Upload a dataset: multipart part 'inputs' (IDX, optionally .gz, or .npy; or a .npz or .safetensors whose arrays are " +
                "named like the network's inputs, with an optional 'labels' array) and an optional part 'labels' (class indices; without labels jobs distil); " +
                "or 'inputs' alone as an image archive (.zip, .tar, .tar.gz: class folders, labels.csv, or unlabeled images; JPEG, PNG, WebP). " +
                "skipBadImages=true leaves unreadable images out instead of refusing the archive.");
        datasets.MapGet("/", ListAsync).RefusesWith(StatusCodes.Status400BadRequest).WithSummary("Datasets of your tenant, newest first.");
        datasets.MapGet("/{id:guid}", GetAsync).RefusesWith(StatusCodes.Status404NotFound);
        datasets.MapDelete("/{id:guid}", DeleteAsync).RefusesWith(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        return v1;
    }

    public static async Task<Created<DatasetResponse>> UploadAsync(HttpRequest request, string? name, bool? skipBadImages, ShearsDbContext db,
        IArtifactStore store, UploadLimits limits, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        await using var upload = await UploadReader.ReadAsync(request, store, limits.MaxDatasetFileBytes, Parts,
            blobs => db.DeleteUnreferencedAsync(store, blobs.Select(b => b.Sha256), CancellationToken.None), cancellationToken, OptionalParts);
        var (inputs, labels) = (upload["inputs"], upload.Optional("labels"));
        DatasetDescription dataset;
        ImageArchiveSummary? images = null;
        await using (var inputStream = await store.OpenSeekableAsync(inputs.Blob.Sha256, cancellationToken))
        {
            if (ArchiveFormats.Detect(inputStream) is { } format)
            {
                if (labels is not null)
                {
                    throw new InvalidDatasetException($"{inputs.FileName} is an image archive, which labels its images itself (class folders or " +
                        "labels.csv); send it as 'inputs' alone, without a 'labels' part.");
                }
                var archive = ImageArchiveReader.Read(inputStream, format, inputs.FileName, new ImageArchiveOptions(skipBadImages ?? false), limits.Dataset);
                dataset = new DatasetDescription(archive.Images.Count, [new ArrayDescription(DatasetArray.SingleName, "uint8", archive.CommonShape())],
                    archive.Classes.Count, archive.IsLabeled);
                images = ImageArchiveSummary.From(archive);
                // The archive labels its images itself (folders or labels.csv), or has none: the row names the archive for both
                // either way (StoredDataset.IsImageArchive); HasLabels says whether it is labelled.
                labels = inputs;
            }
            else
            {
                await using var labelStream = labels is null ? null : await store.OpenSeekableAsync(labels.Blob.Sha256, cancellationToken);
                dataset = DatasetReader.Describe(inputStream, inputs.FileName, labelStream, labels?.FileName, limits.Dataset);
            }
        }
        var row = new StoredDataset
        {
            Id = Guid.NewGuid(),
            TenantId = user.TenantId(),
            Name = string.IsNullOrWhiteSpace(name) ? inputs.FileName : name.Trim()[..Math.Min(name.Trim().Length, 200)],
            InputsSha256 = inputs.Blob.Sha256,
            InputsFileName = inputs.FileName,
            LabelsSha256 = labels?.Blob.Sha256,
            LabelsFileName = labels?.FileName,
            Samples = dataset.Samples,
            InputShapeJson = JsonSerializer.Serialize(dataset.SampleShape),
            ArraysJson = JsonSerializer.Serialize(dataset.Arrays, JobEventLog.Json),
            HasLabels = dataset.HasLabels,
            NumClasses = dataset.NumClasses,
            SizeBytes = inputs.Blob.SizeBytes + (labels is null || labels == inputs ? 0 : labels.Blob.SizeBytes),
            CreatedAt = DateTime.UtcNow,
        };
        db.Datasets.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        upload.Keep();
        return TypedResults.Created($"/v1/datasets/{row.Id}", DatasetResponse.From(row) with { Images = images });
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
        // Locked before the look for live jobs: a job being created with it commits first, or waits and then finds it gone.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var dataset = await db.FindLockedAsync<StoredDataset>(user.TenantId(), id, RowLock.Update, cancellationToken);
        if (dataset is null)
        {
            return NotFound.Problem("dataset", id);
        }
        if (await db.Jobs.AnyAsync(j => (j.DatasetId == id || j.EvalDatasetId == id) && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running), cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The dataset is in use.",
                detail: "A queued or running job uses this dataset; cancel it first.");
        }
        db.Datasets.Remove(dataset);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await db.DeleteUnreferencedAsync(store, [dataset.InputsSha256, .. dataset.LabelsSha256 is { } labels ? [labels] : Array.Empty<string>()], cancellationToken);
        return TypedResults.NoContent();
    }
}
