using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Shears.Domain.Tests.Datasets;

/// <summary>Where the real dataset files are, and writers for the small IDX/.npy/gzip files the malformed-input tests need.</summary>
public static class DatasetFiles
{
    public const string DebianFashionMnist = "/usr/share/datasets/fashion-mnist";

    public static string Debian(string name) => Path.Combine(DebianFashionMnist, name);

    public static string Fixture(string name) => Onnx.Fixtures.PathOf(name);

    public static byte[] Idx(byte typeCode, int[] shape, byte[] data)
    {
        var bytes = new byte[4 + 4 * shape.Length + data.Length];
        bytes[2] = typeCode;
        bytes[3] = (byte)shape.Length;
        for (var i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), shape[i]);
        data.CopyTo(bytes, 4 + 4 * shape.Length);
        return bytes;
    }

    /// <summary>A .npy file with the given header dict text, padded as numpy pads it (to a multiple of 64 bytes).</summary>
    public static byte[] Npy(string headerDict, byte[] data, int majorVersion = 1)
    {
        var lengthBytes = majorVersion == 1 ? 2 : 4;
        var preamble = 6 + 2 + lengthBytes;
        var padded = headerDict + new string(' ', 63 - (preamble + headerDict.Length) % 64) + "\n";
        using var file = new MemoryStream();
        file.Write([0x93, .. "NUMPY"u8, (byte)majorVersion, 0]);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)padded.Length);
        file.Write(length[..lengthBytes]);
        file.Write(Encoding.Latin1.GetBytes(padded));
        file.Write(data);
        return file.ToArray();
    }

    public static byte[] Gzip(byte[] data) => Gzip(data, zerosAfter: 0);

    /// <summary>Gzips <paramref name="head"/> followed by <paramref name="zerosAfter"/> zero bytes: a gzip bomb when that is large.</summary>
    public static byte[] Gzip(byte[] head, long zerosAfter)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(head);
            var zeros = new byte[1 << 20];
            for (var left = zerosAfter; left > 0; left -= zeros.Length) gzip.Write(zeros, 0, (int)Math.Min(zeros.Length, left));
        }
        return compressed.ToArray();
    }

    public static byte[] Gunzip(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }

    public static byte[] LittleEndian<T>(params T[] values) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
