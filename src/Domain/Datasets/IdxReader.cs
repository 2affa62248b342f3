using System.Buffers.Binary;

namespace Shears.Domain.Datasets;

/// <summary>
/// Reads the header of an IDX file (the MNIST format): two zero bytes, a type code, the number of
/// dimensions, then each dimension as a big-endian uint32; big-endian data follows.
/// </summary>
public static class IdxReader
{
    public const int MaxDimensions = 8;

    public static bool HasMagic(ReadOnlySpan<byte> firstFour) => firstFour is [0, 0, _, _];

    public static ArrayHeader ReadHeader(Stream stream, ReadOnlySpan<byte> firstFour, string fileName)
    {
        var type = firstFour[2] switch
        {
            0x08 => ElementType.UInt8,
            0x09 => ElementType.Int8,
            0x0B => ElementType.Int16,
            0x0C => ElementType.Int32,
            0x0D => ElementType.Float32,
            0x0E => ElementType.Float64,
            var code => throw new InvalidDatasetException(
                $"{fileName}: IDX type code 0x{code:X2} is unknown; IDX files use 0x08 (unsigned byte), 0x09 (signed byte), " +
                "0x0B (int16), 0x0C (int32), 0x0D (float32) or 0x0E (float64)."),
        };
        int rank = firstFour[3];
        if (rank is 0 or > MaxDimensions)
        {
            throw new InvalidDatasetException(
                $"{fileName}: IDX header declares {rank} dimensions; expected 1 to {MaxDimensions} (e.g. 3 for [samples, 28, 28] images, 1 for labels).");
        }
        var dimensionBytes = new byte[4 * rank];
        HeaderBytes.ReadExactly(stream, dimensionBytes, fileName, "IDX");
        var shape = new int[rank];
        for (var i = 0; i < rank; i++)
        {
            var size = BinaryPrimitives.ReadUInt32BigEndian(dimensionBytes.AsSpan(4 * i));
            shape[i] = size <= int.MaxValue
                ? (int)size
                : throw new InvalidDatasetException($"{fileName}: IDX dimension {i} is {size:N0}, which no real dataset has; the header is corrupt.");
        }
        return new ArrayHeader(shape, type, BigEndian: true);
    }
}
