using Microsoft.EntityFrameworkCore;
using Shears.Domain.Persistence;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Checkpoints;

namespace Shears.Worker.Jobs;

/// <summary>
/// A job's training checkpoint in the artifact store, named by the job's <c>checkpoint.safetensors</c> artifact row
/// while the job runs. Only the worker that holds the job may replace it; the row goes when the job ends.
/// </summary>
/// <remarks>A save is not cancelled with the job: the last one is made when the worker is asked to stop.</remarks>
public sealed class JobCheckpoints(IDbContextFactory<ShearsDbContext> contexts, IArtifactStore store, Guid jobId, string workerId,
    byte[]? latest) : ITrainingCheckpoints
{
    public byte[]? Latest { get; } = latest;

    /// <summary>The checkpoint an earlier run of the job left, if any.</summary>
    public static async Task<byte[]?> LoadAsync(IDbContextFactory<ShearsDbContext> contexts, IArtifactStore store, Guid jobId,
        CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.JobArtifacts.AsNoTracking()
            .FirstOrDefaultAsync(a => a.JobId == jobId && a.Name == JobArtifactNames.Checkpoint, cancellationToken);
        return row is null ? null : await store.ReadAllBytesAsync(row.Sha256, cancellationToken);
    }

    /// <summary>Removes the job's checkpoint row with <paramref name="db"/>'s pending changes; returns the file to delete once they commit.</summary>
    public static async Task<string?> ForgetAsync(ShearsDbContext db, Guid jobId, CancellationToken cancellationToken)
    {
        var row = await db.JobArtifacts.FirstOrDefaultAsync(a => a.JobId == jobId && a.Name == JobArtifactNames.Checkpoint, cancellationToken);
        if (row is not null)
        {
            db.JobArtifacts.Remove(row);
        }
        return row?.Sha256;
    }

    /// <summary>Deletes a forgotten checkpoint's file once nothing refers to it.</summary>
    public static async Task DeleteFileAsync(IDbContextFactory<ShearsDbContext> contexts, IArtifactStore store, string? sha256)
    {
        if (sha256 is null)
        {
            return;
        }
        await using var db = await contexts.CreateDbContextAsync();
        await db.DeleteUnreferencedAsync(store, [sha256], CancellationToken.None);
    }

    public void Save(byte[] checkpoint, int afterStep) => SaveAsync(checkpoint).GetAwaiter().GetResult();

    private async Task SaveAsync(byte[] checkpoint)
    {
        var cancellationToken = CancellationToken.None;
        var blob = await store.SaveAsync(checkpoint, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Jobs.AnyAsync(j => j.Id == jobId && j.WorkerId == workerId, cancellationToken))
        {
            throw new JobTakenOverException();
        }
        var row = await db.JobArtifacts.FirstOrDefaultAsync(a => a.JobId == jobId && a.Name == JobArtifactNames.Checkpoint, cancellationToken);
        var previous = row?.Sha256;
        if (row is null)
        {
            db.JobArtifacts.Add(new JobArtifact
            {
                JobId = jobId,
                Name = JobArtifactNames.Checkpoint,
                Sha256 = blob.Sha256,
                SizeBytes = blob.SizeBytes,
                ContentType = JobArtifactNames.ContentTypes[JobArtifactNames.Checkpoint],
            });
        }
        else
        {
            // Replaced in one statement: a crash at any point leaves either the old checkpoint or the new one.
            row.Sha256 = blob.Sha256;
            row.SizeBytes = blob.SizeBytes;
        }
        await db.SaveChangesAsync(cancellationToken);
        if (previous is not null && previous != blob.Sha256)
        {
            await db.DeleteUnreferencedAsync(store, [previous], cancellationToken);
        }
    }
}
