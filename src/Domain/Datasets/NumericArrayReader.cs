namespace Shears.Domain.Datasets;

/// <summary>
/// An open array file: its header, then its element bytes in order. It refuses a file that ends before the header's
/// shape is filled or goes on after it, and any gzip that decodes past <see cref="DatasetLimits.MaxDecodedBytes"/>.
/// </summary>
public sealed class NumericArrayReader : IDisposable
{
    private readonly Stream _stream;
    private readonly string _fileName;
    private int _read;

    private NumericArrayReader(Stream stream, string fileName, ArrayHeader header, int claimedBytes)
        => (_stream, _fileName, Header, ClaimedBytes) = (stream, fileName, header, claimedBytes);

    public ArrayHeader Header { get; }

    /// <summary>The data bytes the header's shape and type describe (already checked against the limits).</summary>
    public int ClaimedBytes { get; }

    public static NumericArrayReader Open(Stream raw, string fileName, DatasetLimits limits)
    {
        var stream = DatasetDecoding.Open(raw, fileName, limits);
        try
        {
            var header = Translate(() => ReadHeader(stream, fileName), fileName);
            return new NumericArrayReader(stream, fileName, header, CheckedSize(header, fileName, limits));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Fills <paramref name="buffer"/> with the next data bytes, a whole number of elements unless the data ends;
    /// 0 once all <see cref="ClaimedBytes"/> are read (and nothing follows them).
    /// </summary>
    public int Read(Span<byte> buffer)
    {
        var elementSize = Header.ElementType.SizeInBytes();
        var wanted = Math.Min(buffer.Length - (buffer.Length % elementSize), ClaimedBytes - _read);
        if (wanted == 0)
        {
            if (_read == ClaimedBytes)
            {
                EnsureNothingFollows();
            }
            return 0;
        }
        int n;
        try
        {
            n = _stream.ReadAtLeast(buffer[..wanted], wanted, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw CorruptGzip(_fileName, e);
        }
        _read += n;
        if (n < wanted)
        {
            throw new InvalidDatasetException(
                $"{_fileName}: the header says shape {Header.ShapeText} of {Header.ElementType} ({ClaimedBytes:N0} bytes of data) " +
                $"but the file ends after {_read:N0} bytes; it is truncated or its header is wrong.");
        }
        return n;
    }

    private void EnsureNothingFollows()
    {
        if (Translate(_stream.ReadByte, _fileName) >= 0)
        {
            throw new InvalidDatasetException(
                $"{_fileName}: there is more data after the {ClaimedBytes:N0} bytes that the header's shape {Header.ShapeText} " +
                $"of {Header.ElementType} describes; the header is wrong or two files were joined.");
        }
    }

    public void Dispose() => _stream.Dispose();

    private static T Translate<T>(Func<T> read, string fileName)
    {
        try
        {
            return read();
        }
        catch (InvalidDataException e)
        {
            throw CorruptGzip(fileName, e);
        }
    }

    private static InvalidDatasetException CorruptGzip(string fileName, InvalidDataException e)
        => new($"{fileName}: the gzip data is corrupt ({e.Message}); compress the file again or upload it uncompressed.");

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

    private static int CheckedSize(ArrayHeader header, string fileName, DatasetLimits limits)
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
