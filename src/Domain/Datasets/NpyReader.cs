using System.Buffers.Binary;
using System.Text;

namespace Shears.Domain.Datasets;

/// <summary>
/// Reads the header of a .npy file (format versions 1, 2 and 3): magic "\x93NUMPY", version, header
/// length, then a Python dict literal with the dtype, the memory order and the shape.
/// </summary>
public static class NpyReader
{
    private const int MaxHeaderLength = 64 * 1024;
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static bool HasMagic(ReadOnlySpan<byte> firstFour) => firstFour.SequenceEqual(Magic[..4]);

    public static ArrayHeader ReadHeader(Stream stream, ReadOnlySpan<byte> firstFour, string fileName)
    {
        Span<byte> preamble = stackalloc byte[4];
        HeaderBytes.ReadExactly(stream, preamble, fileName, ".npy");
        if (!preamble[..2].SequenceEqual(Magic[4..]))
        {
            throw new InvalidDatasetException($"{fileName}: starts like a .npy file but the magic string is not \\x93NUMPY.");
        }
        var (major, minor) = (preamble[2], preamble[3]);
        var headerLength = major switch
        {
            1 => ReadLength(stream, 2, fileName),
            2 or 3 => ReadLength(stream, 4, fileName),
            _ => throw new InvalidDatasetException($"{fileName}: .npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)."),
        };
        if (headerLength > MaxHeaderLength)
        {
            throw new InvalidDatasetException($"{fileName}: the .npy header claims {headerLength:N0} bytes; numpy headers are a few hundred. The file is corrupt.");
        }
        var headerBytes = new byte[headerLength];
        HeaderBytes.ReadExactly(stream, headerBytes, fileName, ".npy");
        var encoding = major == 3 ? Encoding.UTF8 : Encoding.Latin1;
        var header = NpyHeaderParser.Parse(encoding.GetString(headerBytes).TrimEnd('\n', ' ', '\0'), fileName);
        return new ArrayHeader(ReadShape(header, fileName), ReadElementType(header, fileName, out var bigEndian), bigEndian);
    }

    private static ElementType ReadElementType(IReadOnlyDictionary<string, object> header, string fileName, out bool bigEndian)
    {
        if (header.GetValueOrDefault("fortran_order") is not bool fortranOrder)
        {
            throw new InvalidDatasetException($"{fileName}: the .npy header has no fortran_order flag; save the array with numpy.save.");
        }
        if (fortranOrder)
        {
            throw new InvalidDatasetException($"{fileName}: the array is stored in Fortran (column-major) order; save numpy.ascontiguousarray(array) instead.");
        }
        var descr = header.GetValueOrDefault("descr") as string ?? "";
        bigEndian = descr.StartsWith('>');
        var type = (descr.Length == 3 && descr[0] is '<' or '>' or '|' or '=' ? descr[1..] : null) switch
        {
            "u1" => ElementType.UInt8,
            "b1" => ElementType.Bool,
            "i1" => ElementType.Int8,
            "i2" => ElementType.Int16,
            "i4" => ElementType.Int32,
            "i8" => ElementType.Int64,
            "f4" => ElementType.Float32,
            "f8" => ElementType.Float64,
            _ => (ElementType?)null,
        };
        if (descr.EndsWith('O'))
        {
            throw new InvalidDatasetException(
                $"{fileName}: the array holds Python objects (dtype '{descr}'), which only a pickle can restore; Shears never unpickles. " +
                "Save numeric arrays (e.g. numpy.savez(path, input_ids=ids.astype('int64'))).");
        }
        return type ?? throw new InvalidDatasetException(
            $"{fileName}: .npy dtype '{descr}' is not supported; save inputs as float32, float64 or uint8 and labels as int64, int32 or uint8 " +
            "(e.g. numpy.save(path, array.astype('float32'))).");
    }

    private static int[] ReadShape(IReadOnlyDictionary<string, object> header, string fileName)
    {
        if (header.GetValueOrDefault("shape") is not long[] shape || shape.Length == 0)
        {
            throw new InvalidDatasetException($"{fileName}: the .npy header has no shape (or the array is a scalar); save an array of samples.");
        }
        return [.. shape.Select((size, i) => size <= int.MaxValue
            ? (int)size
            : throw new InvalidDatasetException($"{fileName}: .npy dimension {i} is {size:N0}, which no real dataset has; the header is corrupt."))];
    }

    private static int ReadLength(Stream stream, int bytes, string fileName)
    {
        Span<byte> buffer = stackalloc byte[4];
        HeaderBytes.ReadExactly(stream, buffer[..bytes], fileName, ".npy");
        var length = bytes == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(buffer) : BinaryPrimitives.ReadUInt32LittleEndian(buffer);
        return (int)Math.Min(length, int.MaxValue);
    }
}
