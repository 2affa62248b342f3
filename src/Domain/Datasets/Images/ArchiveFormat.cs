using System.IO.Compression;

namespace Shears.Domain.Datasets.Images;

/// <summary>The archive kinds an image dataset may come in, told apart by their first bytes (never by the file name).</summary>
public enum ArchiveFormat
{
    Zip,
    Tar,
    TarGzip,
}

public static class ArchiveFormats
{
    private const int TarMagicOffset = 257;
    private static ReadOnlySpan<byte> ZipLocalHeader => "PK\u0003\u0004"u8;
    private static ReadOnlySpan<byte> ZipEmptyArchive => "PK\u0005\u0006"u8;
    private static ReadOnlySpan<byte> TarMagic => "ustar"u8;
    private static ReadOnlySpan<byte> GzipMagic => [0x1F, 0x8B];

    /// <summary>
    /// The archive format of <paramref name="seekable"/>, or null when it is not an image archive (an IDX or .npy file,
    /// gzipped or not, or a .npz: a zip holding only .npy arrays). Reads a few hundred bytes (a zip's directory) and puts
    /// the position back at the start.
    /// </summary>
    public static ArchiveFormat? Detect(Stream seekable)
    {
        try
        {
            var head = ReadHead(seekable, TarMagicOffset + TarMagic.Length);
            if (head.StartsWith(ZipLocalHeader) || head.StartsWith(ZipEmptyArchive))
            {
                seekable.Position = 0;
                return NpzArchive.HoldsOnlyArrays(seekable) ? null : ArchiveFormat.Zip;
            }
            if (IsTar(head)) return ArchiveFormat.Tar;
            if (!head.StartsWith(GzipMagic)) return null;
            seekable.Position = 0;
            using var gunzipped = new GZipStream(seekable, CompressionMode.Decompress, leaveOpen: true);
            return IsTar(ReadHead(gunzipped, TarMagicOffset + TarMagic.Length)) ? ArchiveFormat.TarGzip : null;
        }
        catch (InvalidDataException)
        {
            return null; // a corrupt gzip: the array readers say what is wrong with it
        }
        finally
        {
            seekable.Position = 0;
        }
    }

    private static ReadOnlySpan<byte> ReadHead(Stream stream, int length)
    {
        var head = new byte[length];
        var read = stream.ReadAtLeast(head, length, throwOnEndOfStream: false);
        return head.AsSpan(0, read);
    }

    private static bool IsTar(ReadOnlySpan<byte> head)
        => head.Length >= TarMagicOffset + TarMagic.Length && head.Slice(TarMagicOffset, TarMagic.Length).SequenceEqual(TarMagic);
}
