namespace Shears.Domain.Datasets;

/// <summary>
/// Reads one uploaded array file, IDX or .npy, plain or gzipped (told apart by their first bytes, not
/// by the file name). Memory grows with the bytes that actually arrive, never with what a header claims.
/// </summary>
public static class NumericArrayFile
{
    private const int InitialBufferBytes = 1 << 20;

    public static NumericArray Read(Stream raw, string fileName, DatasetLimits limits)
    {
        try
        {
            using var stream = DatasetDecoding.Open(raw, fileName, limits);
            var header = ReadHeader(stream, fileName);
            var data = ReadPayload(stream, header, fileName, limits);
            return new NumericArray(header, data);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDatasetException($"{fileName}: the gzip data is corrupt ({e.Message}); compress the file again or upload it uncompressed.");
        }
    }

    private static ArrayHeader ReadHeader(Stream stream, string fileName)
    {
        var magic = new byte[4];
        var read = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        if (read == 0) throw new InvalidDatasetException($"{fileName}: the file is empty.");
        if (read == magic.Length && IdxReader.HasMagic(magic)) return IdxReader.ReadHeader(stream, magic, fileName);
        if (read == magic.Length && NpyReader.HasMagic(magic)) return NpyReader.ReadHeader(stream, magic, fileName);
        throw new InvalidDatasetException(
            $"{fileName}: not an IDX file (starts with two zero bytes) nor a .npy file (starts with \\x93NUMPY), gzipped or not; " +
            $"its first bytes are {Convert.ToHexString(magic, 0, read)}. Upload MNIST-style IDX files or arrays saved with numpy.save.");
    }

    private static byte[] ReadPayload(Stream stream, ArrayHeader header, string fileName, DatasetLimits limits)
    {
        var claimedBytes = ClaimedBytes(header, fileName, limits);
        var buffer = new byte[Math.Min(claimedBytes, InitialBufferBytes)];
        var filled = 0;
        while (filled < claimedBytes)
        {
            if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(claimedBytes, 2L * buffer.Length));
            var n = stream.Read(buffer, filled, buffer.Length - filled);
            if (n == 0)
            {
                throw new InvalidDatasetException(
                    $"{fileName}: the header says shape {header.ShapeText} of {header.ElementType} ({claimedBytes:N0} bytes of data) " +
                    $"but the file ends after {filled:N0} bytes; it is truncated or its header is wrong.");
            }
            filled += n;
        }
        if (stream.ReadByte() >= 0)
        {
            throw new InvalidDatasetException(
                $"{fileName}: there is more data after the {claimedBytes:N0} bytes that the header's shape {header.ShapeText} " +
                $"of {header.ElementType} describes; the header is wrong or two files were joined.");
        }
        return buffer;
    }

    private static int ClaimedBytes(ArrayHeader header, string fileName, DatasetLimits limits)
    {
        var zero = Array.IndexOf(header.Shape, 0);
        if (zero >= 0)
        {
            throw new InvalidDatasetException($"{fileName}: dimension {zero} of shape {header.ShapeText} is zero; the file holds no data.");
        }
        var maxBytes = Math.Min(limits.MaxDecodedBytes, Array.MaxLength);
        var bytes = (long)header.ElementType.SizeInBytes();
        foreach (var size in header.Shape)
        {
            bytes *= size;
            if (bytes > maxBytes)
            {
                throw new InvalidDatasetException(
                    $"{fileName}: the header says shape {header.ShapeText} of {header.ElementType}, more than the {maxBytes:N0} bytes " +
                    "allowed for one dataset file. Upload a subset, or check that the header is right.");
            }
        }
        return (int)bytes;
    }
}
