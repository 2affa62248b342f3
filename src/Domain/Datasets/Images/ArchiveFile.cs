namespace Shears.Domain.Datasets.Images;

/// <summary>A regular file inside an archive, readable once while the walk stands on it.</summary>
/// <param name="Segments">Its relative path, checked (<see cref="ArchiveEntryPath"/>), split at '/'.</param>
/// <param name="Length">What the archive says it holds; reading never trusts it beyond <c>maxBytes</c>.</param>
public sealed record ArchiveFile(string[] Segments, long Length, Func<Stream> Open)
{
    public string Path => string.Join('/', Segments);

    /// <summary>The file's bytes into <paramref name="buffer"/> (grown when needed); a corrupt entry is named.</summary>
    public int ReadInto(ref byte[] buffer, int maxBytes, string archiveName)
    {
        if (Length > maxBytes)
        {
            throw TooLarge(archiveName, maxBytes);
        }
        try
        {
            using var data = Open();
            var limit = maxBytes + 1; // one byte more tells a file over the limit
            var filled = 0;
            while (filled < limit)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, (int)Math.Min(Math.Max(2L * buffer.Length, 64 * 1024), limit));
                }
                var n = data.Read(buffer, filled, Math.Min(buffer.Length, limit) - filled);
                if (n == 0) return filled;
                filled += n;
            }
            throw TooLarge(archiveName, maxBytes);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new InvalidDatasetException($"{archiveName}: the entry '{Path}' is corrupt ({e.Message}). Nothing was stored.");
        }
    }

    private InvalidDatasetException TooLarge(string archiveName, int maxBytes)
        => new($"{archiveName}: the entry '{Path}' is larger than the {maxBytes:N0} bytes allowed for one image file.");
}
