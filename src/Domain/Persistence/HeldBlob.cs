namespace Shears.Domain.Persistence;

/// <summary>A file just stored, held against deletion (see <see cref="IBlobHolds"/>) until disposed.</summary>
public sealed class HeldBlob(StoredBlob blob, IAsyncDisposable hold) : IAsyncDisposable
{
    public StoredBlob Blob => blob;

    public ValueTask DisposeAsync() => hold.DisposeAsync();

    /// <summary>
    /// Runs a store's save, which calls back once the content's hash is known and before the file becomes visible; the
    /// hold is taken there, and let go again if the save then fails.
    /// </summary>
    public static async Task<HeldBlob> SaveAsync(IBlobHolds holds, Func<Func<StoredBlob, Task>, Task> save, CancellationToken cancellationToken)
    {
        HeldBlob? held = null;
        try
        {
            await save(async stored => held = new HeldBlob(stored, await holds.HoldAsync(stored.Sha256, cancellationToken)));
            return held!;
        }
        catch when (held is not null)
        {
            await held.DisposeAsync();
            throw;
        }
    }
}
