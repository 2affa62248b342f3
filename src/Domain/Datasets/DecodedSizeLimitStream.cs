namespace Shears.Domain.Datasets;

/// <summary>
/// Counts the bytes read through it and stops with <see cref="InvalidDatasetException"/> once they pass
/// <paramref name="maxBytes"/>: a gzip bomb is caught while it decodes, whatever its header claims.
/// </summary>
public sealed class DecodedSizeLimitStream(Stream inner, long maxBytes, string fileName) : ForwardOnlyReadStream
{
    public long BytesRead { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        BytesRead += n;
        if (BytesRead > maxBytes)
        {
            throw new InvalidDatasetException(
                $"{fileName}: decodes to more than {maxBytes:N0} bytes, the limit for one dataset file. " +
                "Upload a smaller dataset (or a subset), or raise the limit in the service configuration.");
        }
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
