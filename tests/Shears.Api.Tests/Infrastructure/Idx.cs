using System.Buffers.Binary;

namespace Shears.Api.Tests.Infrastructure;

/// <summary>Writes small IDX files (the MNIST format) for tests that need a shape of their own.</summary>
internal static class Idx
{
    /// <summary>Unsigned bytes (type 0x08), one per element.</summary>
    public static byte[] Bytes(int[] dims, Func<int, byte> value) => Raw(0x08, dims, dims.Aggregate(1, (a, b) => a * b), value);

    /// <summary>Any type code, with <paramref name="dataBytes"/> data bytes given one by one (big-endian elements).</summary>
    public static byte[] Raw(byte typeCode, int[] dims, int dataBytes, Func<int, byte> byteAt)
    {
        var file = new byte[4 + (4 * dims.Length) + dataBytes];
        file[2] = typeCode;
        file[3] = (byte)dims.Length;
        for (var i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4 + (4 * i)), dims[i]);
        }
        for (var i = 0; i < dataBytes; i++)
        {
            file[4 + (4 * dims.Length) + i] = byteAt(i);
        }
        return file;
    }
}
