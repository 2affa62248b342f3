using System.Buffers.Binary;
using System.IO.Compression;

namespace Shears.Domain.Datasets;

/// <summary>
/// Gunzips and, at the end, checks the gzip trailer's size field (ISIZE, the decoded length mod 2^32) against what was
/// decoded: GZipStream hands back a stream whose final deflate block is whole but whose trailer is cut off (a truncated
/// download) without complaint, where gunzip reports an unexpected end of file. A file of several gzip members joined
/// together carries only the last one's size there, so it is refused too, with what to do instead.
/// </summary>
public sealed class GzipTrailerCheck : ForwardOnlyReadStream
{
    private const int TrailerBytes = 8;
    private readonly TailRecorder compressed;
    private readonly GZipStream decoded;
    private long decodedBytes;

    public GzipTrailerCheck(Stream compressedInput)
    {
        compressed = new TailRecorder(compressedInput);
        decoded = new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true);
    }

    public override int Read(Span<byte> buffer)
    {
        var n = decoded.Read(buffer);
        decodedBytes += n;
        if (n == 0 && !buffer.IsEmpty)
            CheckTrailer();
        return n;
    }

    private void CheckTrailer()
    {
        var size = compressed.Seen >= TrailerBytes ? BinaryPrimitives.ReadUInt32LittleEndian(compressed.Tail[^4..]) : (uint?)null;
        if (size != (uint)decodedBytes)
            throw new InvalidDataException("the gzip stream ends without the trailer that closes it (the file is truncated), " +
                "or several gzip files were joined into one (gunzip it and compress it again as one)");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            decoded.Dispose();
            compressed.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>Passes reads through and keeps the last <see cref="TrailerBytes"/> bytes it passed.</summary>
    private sealed class TailRecorder(Stream inner) : ForwardOnlyReadStream
    {
        private readonly byte[] tail = new byte[TrailerBytes];

        public long Seen { get; private set; }

        public ReadOnlySpan<byte> Tail => tail;

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            var read = buffer[..n];
            if (n >= TrailerBytes)
            {
                read[^TrailerBytes..].CopyTo(tail);
            }
            else if (n > 0)
            {
                tail.AsSpan(n).CopyTo(tail);
                read.CopyTo(tail.AsSpan(TrailerBytes - n));
            }
            Seen += n;
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
