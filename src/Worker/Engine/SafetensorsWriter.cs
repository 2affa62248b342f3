using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Shears.Worker.Engine;

/// <summary>
/// Writes float32 tensors in the safetensors format: an 8-byte little-endian header length, a JSON
/// header ({name: {dtype, shape, data_offsets}}, padded with spaces to 8 bytes), then the raw
/// little-endian data in header order.
/// </summary>
public static class SafetensorsWriter
{
    public static byte[] Write(IEnumerable<(string Name, long[] Shape, float[] Values)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = metadata;
        long offset = 0;
        foreach (var (name, shape, values) in ordered)
        {
            if (shape.Aggregate(1L, (a, b) => a * b) != values.Length)
                throw new ArgumentException($"Tensor '{name}' has {values.Length} values but shape [{string.Join(", ", shape)}].");
            var end = offset + 4L * values.Length;
            header[name] = new { dtype = "F32", shape, data_offsets = new[] { offset, end } };
            offset = end;
        }

        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var padded = (json.Length + 7) / 8 * 8;
        var output = new byte[8 + padded + offset];
        BinaryPrimitives.WriteUInt64LittleEndian(output, (ulong)padded);
        json.CopyTo(output, 8);
        output.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        var at = 8 + padded;
        foreach (var (_, _, values) in ordered)
        {
            var bytes = MemoryMarshal.AsBytes(values.AsSpan());
            if (BitConverter.IsLittleEndian)
                bytes.CopyTo(output.AsSpan(at));
            else
                for (var i = 0; i < values.Length; i++)
                    BinaryPrimitives.WriteSingleLittleEndian(output.AsSpan(at + 4 * i), values[i]);
            at += bytes.Length;
        }
        return output;
    }
}
