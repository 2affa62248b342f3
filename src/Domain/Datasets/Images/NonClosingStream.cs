namespace Shears.Domain.Datasets.Images;

/// <summary>A read-only view whose disposal leaves the stream under it open (a tar entry's data belongs to its reader).</summary>
internal sealed class NonClosingStream(Stream inner) : ForwardOnlyReadStream
{
    public override int Read(Span<byte> buffer) => inner.Read(buffer);
}
