namespace Shears.Domain.Persistence;

/// <summary>
/// A stored file opened for readers that seek (archive and array sniffing, zip directories). The folder store's files
/// seek as they are; an object store's response streams once, so its content is first copied to a temp file that is
/// deleted when the stream is closed (never into memory: uploads may be gigabytes).
/// </summary>
public static class SeekableArtifacts
{
    public static async Task<Stream> OpenSeekableAsync(this IArtifactStore store, string sha256, CancellationToken cancellationToken)
    {
        var stream = await store.OpenReadAsync(sha256, cancellationToken);
        if (stream.CanSeek)
        {
            return stream;
        }
        await using (stream)
        {
            var copy = new FileStream(Path.Combine(Path.GetTempPath(), $"shears-artifact-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew,
                FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            try
            {
                await stream.CopyToAsync(copy, cancellationToken);
                copy.Position = 0;
                return copy;
            }
            catch
            {
                await copy.DisposeAsync();
                throw;
            }
        }
    }
}
