using System.Buffers.Binary;

namespace Shears.Api.Tests.Infrastructure;

/// <summary>Writes small IDX files (the MNIST format: unsigned bytes) for tests that need a shape of their own.</summary>
internal static class Idx
{
    public static byte[] Bytes(int[] dims, Func<int, byte> value)
    {
        var count = dims.Aggregate(1, (a, b) => a * b);
        var file = new byte[4 + (4 * dims.Length) + count];
        file[2] = 0x08; // unsigned byte
        file[3] = (byte)dims.Length;
        for (var i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4 + (4 * i)), dims[i]);
        }
        for (var i = 0; i < count; i++)
        {
            file[4 + (4 * dims.Length) + i] = value(i);
        }
        return file;
    }
}
