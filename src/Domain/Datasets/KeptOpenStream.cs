namespace Shears.Domain.Datasets;

/// <summary>A caller's stream handed to a reader that disposes what it reads: disposing this leaves the stream open.</summary>
internal sealed class KeptOpenStream(Stream inner) : ForwardOnlyReadStream
{
    public override int Read(Span<byte> buffer) => inner.Read(buffer);
}
