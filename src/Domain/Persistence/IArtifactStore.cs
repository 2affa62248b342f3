namespace Shears.Domain.Persistence;

/// <summary>A stored file, known only by the SHA-256 of its content.</summary>
public sealed record StoredBlob(string Sha256, long SizeBytes);

/// <summary>
/// Content-addressed file store for models, datasets and job outputs. Paths come from content hashes only,
/// never from anything a user sent.
/// </summary>
public interface IArtifactStore
{
    /// <summary>
    /// Throws <see cref="ArtifactStoreUnavailableException"/> saying what is wrong when the store cannot be used (its folder
    /// gone; the bucket missing, the credentials refused or the server unreachable), so that a misconfiguration shows at
    /// start and in readiness rather than at the first upload.
    /// </summary>
    Task CheckAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Streams <paramref name="content"/> into the store, hashing as it reads. Throws
    /// <see cref="ContentTooLargeException"/> (leaving nothing behind) once more than <paramref name="maxBytes"/> arrive.
    /// The file is held against deletion until the result is disposed: the caller has not yet recorded it in a row,
    /// and the same content may be stored and deleted meanwhile by other requests, in this process or another.
    /// </summary>
    Task<HeldBlob> SaveAsync(Stream content, long maxBytes, CancellationToken cancellationToken);

    Task<StoredBlob> SaveAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a stored file for reading (an object store's stream does not seek: see <see cref="SeekableArtifacts"/>); throws
    /// <see cref="ArtifactMissingException"/> when the store does not hold it.
    /// </summary>
    Task<Stream> OpenReadAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>A stored file's bytes; throws <see cref="ArtifactMissingException"/> when the store does not hold it.</summary>
    Task<byte[]> ReadAllBytesAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes a stored file unless anyone holds it (see <see cref="SaveAsync(Stream, long, CancellationToken)"/>) or
    /// <paramref name="unreferenced"/>, asked while no new hold can begin, finds a row that names it.
    /// </summary>
    Task DeleteIfUnreferencedAsync(string sha256, Func<CancellationToken, Task<bool>> unreferenced, CancellationToken cancellationToken);
}

/// <summary>An upload larger than the configured limit (answered with 413).</summary>
public sealed class ContentTooLargeException(long limitBytes)
    : Exception($"The body is larger than the limit of {limitBytes} bytes.")
{
    public long LimitBytes { get; } = limitBytes;
}
