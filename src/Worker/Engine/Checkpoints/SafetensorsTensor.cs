using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Shears.Worker.Engine.Checkpoints;

/// <summary>One tensor as a safetensors file holds it: its dtype name, shape and little-endian bytes.</summary>
public sealed record SafetensorsTensor(string Dtype, long[] Shape, byte[] Data)
{
    /// <summary>The dtypes Shears writes and reads, with their element sizes in bytes.</summary>
    public static readonly IReadOnlyDictionary<string, int> ElementSizes = new Dictionary<string, int>
    {
        ["F32"] = 4,
        ["F64"] = 8,
        ["I64"] = 8,
        ["U8"] = 1,
    };

    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    public static SafetensorsTensor OfFloats(long[] shape, float[] values)
    {
        var data = new byte[4L * values.Length];
        if (BitConverter.IsLittleEndian)
            MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(data);
        else
            for (var i = 0; i < values.Length; i++)
                BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), values[i]);
        return new SafetensorsTensor("F32", shape, data);
    }
}
