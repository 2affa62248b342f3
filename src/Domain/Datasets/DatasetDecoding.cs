namespace Shears.Domain.Datasets;

/// <summary>Opens a dataset upload for reading: gunzips it when it starts with the gzip magic bytes (whatever its name says).</summary>
public static class DatasetDecoding
{
    private static ReadOnlySpan<byte> GzipMagic => [0x1F, 0x8B];

    /// <summary>The decoded bytes, bounded by <see cref="DatasetLimits.MaxDecodedBytes"/>. Leaves <paramref name="raw"/> open.</summary>
    public static Stream Open(Stream raw, string fileName, DatasetLimits limits)
    {
        var head = new byte[GzipMagic.Length];
        var read = raw.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        Stream replayed = new PrefixedStream(head[..read], raw);
        if (head.AsSpan(0, read).SequenceEqual(GzipMagic))
        {
            replayed = new GzipTrailerCheck(replayed);
        }
        return new DecodedSizeLimitStream(replayed, limits.MaxDecodedBytes, fileName);
    }
}
