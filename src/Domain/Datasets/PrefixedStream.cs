namespace Shears.Domain.Datasets;

/// <summary>
/// A read-only stream that yields bytes already taken from <paramref name="rest"/> (to sniff a magic
/// number) before the rest of it, so uploads need not be seekable.
/// </summary>
public sealed class PrefixedStream(byte[] prefix, Stream rest) : ForwardOnlyReadStream
{
    private int _prefixPosition;

    public override int Read(Span<byte> buffer)
    {
        if (_prefixPosition < prefix.Length)
        {
            var n = Math.Min(buffer.Length, prefix.Length - _prefixPosition);
            prefix.AsSpan(_prefixPosition, n).CopyTo(buffer);
            _prefixPosition += n;
            return n;
        }
        return rest.Read(buffer);
    }
}
