using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Shears.Worker.Engine.Checkpoints;

/// <summary>
/// Writes tensors in the safetensors format: an 8-byte little-endian header length, a JSON header
/// ({name: {dtype, shape, data_offsets}}, padded with spaces to 8 bytes), then the raw little-endian
/// data in header order.
/// </summary>
public static class SafetensorsWriter
{
    public static byte[] Write(IEnumerable<(string Name, long[] Shape, float[] Values)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        => Write(tensors.Select(t => (t.Name, SafetensorsTensor.OfFloats(t.Shape, t.Values))), metadata);

    public static byte[] Write(IEnumerable<(string Name, SafetensorsTensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = metadata;
        long offset = 0;
        foreach (var (name, tensor) in ordered)
        {
            if (!SafetensorsTensor.ElementSizes.TryGetValue(tensor.Dtype, out var size) || tensor.ElementCount * size != tensor.Data.Length)
                throw new ArgumentException($"Tensor '{name}' has {tensor.Data.Length} bytes of {tensor.Dtype} but shape [{string.Join(", ", tensor.Shape)}].");
            var end = offset + tensor.Data.Length;
            header[name] = new { dtype = tensor.Dtype, shape = tensor.Shape, data_offsets = new[] { offset, end } };
            offset = end;
        }

        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var padded = (json.Length + 7) / 8 * 8;
        var output = new byte[8 + padded + offset];
        BinaryPrimitives.WriteUInt64LittleEndian(output, (ulong)padded);
        json.CopyTo(output, 8);
        output.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        var at = 8 + padded;
        foreach (var (_, tensor) in ordered)
        {
            tensor.Data.CopyTo(output, at);
            at += tensor.Data.Length;
        }
        return output;
    }
}
