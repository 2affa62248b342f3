namespace Shears.Domain.Persistence;

/// <summary>A file just stored, held against deletion (see <see cref="IBlobHolds"/>) until disposed.</summary>
public sealed class HeldBlob(StoredBlob blob, IAsyncDisposable hold) : IAsyncDisposable
{
    public StoredBlob Blob => blob;

    public ValueTask DisposeAsync() => hold.DisposeAsync();
}
