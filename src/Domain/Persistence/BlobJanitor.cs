using Microsoft.EntityFrameworkCore;

namespace Shears.Domain.Persistence;

/// <summary>Removes stored files that no row refers to any more (content is shared, so only the last user deletes it).</summary>
public static class BlobJanitor
{
    public static async Task DeleteUnreferencedAsync(this ShearsDbContext db, IArtifactStore store, IEnumerable<string> sha256s, CancellationToken cancellationToken)
    {
        foreach (var sha256 in sha256s.Distinct())
        {
            // Asked with the content to itself: a row committed by an upload that held it is seen here.
            await store.DeleteIfUnreferencedAsync(sha256, async alone =>
                !await db.Models.AnyAsync(m => m.Sha256 == sha256, alone)
                && !await db.Datasets.AnyAsync(d => d.InputsSha256 == sha256 || d.LabelsSha256 == sha256, alone)
                && !await db.JobArtifacts.AnyAsync(a => a.Sha256 == sha256, alone), cancellationToken);
        }
    }
}
