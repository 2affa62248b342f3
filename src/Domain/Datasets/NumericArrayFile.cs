namespace Shears.Domain.Datasets;

/// <summary>
/// Reads one uploaded array file, IDX or .npy, plain or gzipped (told apart by their first bytes, not
/// by the file name). Memory grows with the bytes that actually arrive, never with what a header claims.
/// </summary>
public static class NumericArrayFile
{
    private const int InitialBufferBytes = 1 << 20;

    /// <summary>The whole array in memory.</summary>
    public static NumericArray Read(Stream raw, string fileName, DatasetLimits limits)
    {
        using var reader = NumericArrayReader.Open(raw, fileName, limits);
        var buffer = new byte[Math.Min(reader.ClaimedBytes, InitialBufferBytes)];
        var filled = 0;
        while (true)
        {
            if (filled == buffer.Length && filled < reader.ClaimedBytes)
            {
                Array.Resize(ref buffer, (int)Math.Min(reader.ClaimedBytes, 2L * buffer.Length));
            }
            var n = reader.Read(buffer.AsSpan(filled));
            if (n == 0)
            {
                return new NumericArray(reader.Header, buffer);
            }
            filled += n;
        }
    }

    /// <summary>
    /// The array one piece at a time (each of <paramref name="chunkBytes"/> or fewer, whole elements), for checks that
    /// need to see every value but not to keep them: memory stays at one chunk whatever the file's size.
    /// </summary>
    public static IEnumerable<NumericArray> ReadInChunks(NumericArrayReader reader, int chunkBytes = InitialBufferBytes)
    {
        while (true)
        {
            var chunk = new byte[Math.Min(chunkBytes, reader.ClaimedBytes)];
            var n = reader.Read(chunk);
            if (n == 0)
            {
                yield break;
            }
            yield return new NumericArray(reader.Header, n == chunk.Length ? chunk : chunk[..n]);
        }
    }
}
