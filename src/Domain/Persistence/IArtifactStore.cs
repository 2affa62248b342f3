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
    /// Streams <paramref name="content"/> into the store, hashing as it reads. Throws
    /// <see cref="ContentTooLargeException"/> (leaving nothing behind) once more than <paramref name="maxBytes"/> arrive.
    /// </summary>
    Task<StoredBlob> SaveAsync(Stream content, long maxBytes, CancellationToken cancellationToken);

    Task<StoredBlob> SaveAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Opens a stored file; throws <see cref="FileNotFoundException"/> when the store does not hold it.</summary>
    Stream OpenRead(string sha256);

    Task<byte[]> ReadAllBytesAsync(string sha256, CancellationToken cancellationToken);

    void Delete(string sha256);
}

/// <summary>An upload larger than the configured limit (answered with 413).</summary>
public sealed class ContentTooLargeException(long limitBytes)
    : Exception($"The body is larger than the limit of {limitBytes} bytes.")
{
    public long LimitBytes { get; } = limitBytes;
}
