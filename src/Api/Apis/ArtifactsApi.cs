using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shears.Api.Auth;
using Shears.Domain.Persistence;
using Shears.Api.Swagger;

namespace Shears.Api.Apis;

/// <summary><c>/v1/jobs/{id}/artifacts/{name}</c>: the files a succeeded job produced.</summary>
public static class ArtifactsApi
{
    public static RouteGroupBuilder MapArtifactsApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/jobs/{id:guid}/artifacts/{name}", DownloadAsync).WithTags("Jobs").RefusesWith(StatusCodes.Status404NotFound)
            .WithSummary($"Download {string.Join(", ", JobArtifactNames.ContentTypes.Keys)} of a succeeded job.");
        return v1;
    }

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> DownloadAsync(Guid id, string name, ShearsDbContext db,
        IArtifactStore store, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var job = await db.Jobs.Include(j => j.Artifacts).OwnedBy(user.TenantId()).FirstOrDefaultAsync(j => j.Id == id, cancellationToken);
        if (job is null)
        {
            return NotFound.Problem("job", id);
        }
        // The name only selects a row of this job; it is never part of a path.
        var artifact = job.Artifacts.FirstOrDefault(a => a.Name == name);
        if (artifact is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such artifact.",
                detail: job.Status == JobStatus.Succeeded
                    ? $"Job {id} has {string.Join(", ", job.Artifacts.Select(a => a.Name))}."
                    : $"Job {id} is {job.Status.ToWire()}; artifacts exist once it has succeeded.");
        }
        return TypedResults.File(await store.OpenReadAsync(artifact.Sha256, cancellationToken), artifact.ContentType, $"{job.Id:N}-{artifact.Name}");
    }
}
