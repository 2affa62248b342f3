using System.Buffers;
using System.Security.Cryptography;

namespace Shears.Domain.Persistence;

/// <summary>
/// <see cref="IArtifactStore"/> on a local (or shared, mounted) folder: <c>objects/ab/abcdef…</c> by SHA-256.
/// Every write goes to <c>tmp/</c> first and is renamed into place once complete, so a reader never sees a
/// half-written file and a crash leaves only temp files behind. Uploads are held against deletion through
/// <see cref="IBlobHolds"/>, which every process sharing the folder must use alike.
/// </summary>
public sealed class LocalArtifactStore : IArtifactStore
{
    private const int BufferSize = 1 << 16;
    private readonly string _objects;
    private readonly string _temp;
    private readonly IBlobHolds _holds;

    public LocalArtifactStore(string rootPath, IBlobHolds holds)
    {
        _holds = holds;
        var root = Path.GetFullPath(rootPath);
        _objects = Path.Combine(root, "objects");
        _temp = Path.Combine(root, "tmp");
        Directory.CreateDirectory(_objects);
        Directory.CreateDirectory(_temp);
    }

    public Task CheckAsync(CancellationToken cancellationToken)
        => Directory.Exists(_objects) && Directory.Exists(_temp)
            ? Task.CompletedTask
            : throw new ArtifactStoreUnavailableException($"The artifacts folder {Path.GetDirectoryName(_objects)} has no objects/ or tmp/ folder.",
                new DirectoryNotFoundException(_objects));

    public Task<HeldBlob> SaveAsync(Stream content, long maxBytes, CancellationToken cancellationToken)
        => HeldBlob.SaveAsync(_holds, hold => SaveAsync(content, maxBytes, hold, cancellationToken), cancellationToken);

    public async Task<StoredBlob> SaveAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(content.ToArray(), writable: false);
        return await SaveAsync(stream, long.MaxValue, beforeMove: null, cancellationToken);
    }

    /// <param name="beforeMove">Runs once the content's hash is known, before the file is moved into place (to hold it).</param>
    private async Task<StoredBlob> SaveAsync(Stream content, long maxBytes, Func<StoredBlob, Task>? beforeMove, CancellationToken cancellationToken)
    {
        var tempPath = Path.Combine(_temp, $"{Guid.NewGuid():N}.part");
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
            {
                int read;
                while ((read = await content.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
                {
                    size += read;
                    if (size > maxBytes)
                    {
                        throw new ContentTooLargeException(maxBytes);
                    }
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }
            var blob = new StoredBlob(Convert.ToHexStringLower(hash.GetHashAndReset()), size);
            if (beforeMove is not null)
            {
                // Held first, so that a deletion of the same content cannot remove the file after it is in place.
                await beforeMove(blob);
            }
            MoveIntoPlace(tempPath, blob.Sha256);
            return blob;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            File.Delete(tempPath);
        }
    }

    public Task<Stream> OpenReadAsync(string sha256, CancellationToken cancellationToken)
    {
        var path = PathOf(sha256);
        try
        {
            return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, useAsync: true));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ArtifactMissingException(path, ex);
        }
    }

    public async Task<byte[]> ReadAllBytesAsync(string sha256, CancellationToken cancellationToken)
    {
        var path = PathOf(sha256);
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ArtifactMissingException(path, ex);
        }
    }

    public async Task DeleteIfUnreferencedAsync(string sha256, Func<CancellationToken, Task<bool>> unreferenced, CancellationToken cancellationToken)
    {
        var path = PathOf(sha256);
        await _holds.TryAloneAsync(sha256, async alone =>
        {
            if (await unreferenced(alone))
            {
                File.Delete(path);
            }
        }, cancellationToken);
    }

    private void MoveIntoPlace(string tempPath, string sha256)
    {
        var finalPath = PathOf(sha256);
        if (File.Exists(finalPath))
        {
            return; // same content already stored
        }
        Directory.CreateDirectory(Path.GetDirectoryName(finalPath)!);
        File.Move(tempPath, finalPath, overwrite: true);
    }

    private string PathOf(string sha256) => Path.Combine(_objects, ContentAddress.Check(sha256)[..2], sha256);
}
