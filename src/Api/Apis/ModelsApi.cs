using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shears.Api.Auth;
using Shears.Api.Contracts;
using Shears.Api.Extensions;
using Shears.Api.Requests;
using Shears.Api.Uploads;
using Shears.Domain.Graph;
using Shears.Domain.Persistence;
using Shears.Api.Swagger;

namespace Shears.Api.Apis;

/// <summary><c>/v1/models</c>: upload (streamed, inspected), list, get, download, delete.</summary>
public static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this RouteGroupBuilder v1)
    {
        var models = v1.MapGroup("/models").WithTags("Models");
        models.MapPost("/", UploadAsync)
            .ReadsBody<ModelUploadForm>(UploadReader.Multipart, UploadReader.RawFile)
            .DisableAntiforgery()
            .RequireRateLimiting(RateLimitExtensions.UploadPolicy)
            .RefusesWith(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType,
                StatusCodes.Status422UnprocessableEntity, StatusCodes.Status429TooManyRequests)
            .WithSummary("Upload an ONNX network: multipart part 'file', or the raw file as an application/octet-stream body. It is inspected before it is kept.");
        models.MapGet("/", ListAsync).RefusesWith(StatusCodes.Status400BadRequest).WithSummary("Models of your tenant, newest first.");
        models.MapGet("/{id:guid}", GetAsync).WithName("GetModel").RefusesWith(StatusCodes.Status404NotFound);
        models.MapGet("/{id:guid}/content", DownloadAsync).RefusesWith(StatusCodes.Status404NotFound).WithSummary("The ONNX file.");
        models.MapDelete("/{id:guid}", DeleteAsync).RefusesWith(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        return v1;
    }

    public static async Task<Results<Created<ModelResponse>, ProblemHttpResult>> UploadAsync(HttpRequest request, string? name,
        ShearsDbContext db, IArtifactStore store, UploadLimits limits, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        await using var upload = await UploadReader.ReadAsync(request, store, limits.MaxModelBytes, ["file"],
            blobs => db.DeleteUnreferencedAsync(store, blobs.Select(b => b.Sha256), CancellationToken.None), cancellationToken);
        var file = upload["file"];
        ModelInspection inspection;
        await using (var content = await store.OpenReadAsync(file.Blob.Sha256, cancellationToken))
        {
            inspection = ModelInspector.Inspect(content);
        }
        if (inspection.UnsupportedOps.Count > 0)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "The model uses operators Shears does not support.",
                detail: $"Unsupported operators: {string.Join(", ", inspection.UnsupportedOps)}. Export the network without them (or replace them) and upload again.");
        }
        var model = StoredModelFactory.Create(user.TenantId(), LabelOf(name, file.FileName), file.Blob, inspection);
        db.Models.Add(model);
        await db.SaveChangesAsync(cancellationToken);
        upload.Keep();
        return TypedResults.Created($"/v1/models/{model.Id}", ModelResponse.From(model));
    }

    public static async Task<Results<Ok<Page<ModelResponse>>, ProblemHttpResult>> ListAsync([AsParameters] PageRequest page,
        ShearsDbContext db, ClaimsPrincipal user, CancellationToken cancellationToken)
        => await db.Models.OwnedBy(user.TenantId()).ToPageAsync(page, ModelResponse.From, cancellationToken);

    public static async Task<Results<Ok<ModelResponse>, ProblemHttpResult>> GetAsync(Guid id, ShearsDbContext db, ClaimsPrincipal user,
        CancellationToken cancellationToken)
        => await db.Models.OwnedBy(user.TenantId()).GetOneAsync(id, "model", ModelResponse.From, cancellationToken);

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> DownloadAsync(Guid id, ShearsDbContext db, IArtifactStore store,
        ClaimsPrincipal user, CancellationToken cancellationToken)
        => await db.Models.OwnedBy(user.TenantId()).FirstOrDefaultAsync(m => m.Id == id, cancellationToken) is { } model
            ? TypedResults.File(await store.OpenReadAsync(model.Sha256, cancellationToken), "application/octet-stream", $"{model.Id}.onnx")
            : NotFound.Problem("model", id);

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, ShearsDbContext db, IArtifactStore store,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        // Locked before the look for live jobs: a job being created with it commits first, or waits and then finds it gone.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var model = await db.FindLockedAsync<StoredModel>(user.TenantId(), id, RowLock.Update, cancellationToken);
        if (model is null)
        {
            return NotFound.Problem("model", id);
        }
        if (await db.Jobs.AnyAsync(j => j.ModelId == id && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running), cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The model is in use.",
                detail: "A queued or running job uses this model; cancel it first.");
        }
        db.Models.Remove(model);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await db.DeleteUnreferencedAsync(store, [model.Sha256], cancellationToken);
        return TypedResults.NoContent();
    }

    private static string LabelOf(string? name, string fileName)
    {
        var label = string.IsNullOrWhiteSpace(name) ? fileName : name.Trim();
        return label[..Math.Min(label.Length, 200)];
    }
}
