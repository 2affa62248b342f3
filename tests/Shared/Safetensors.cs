using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Shears.Testing;

/// <summary>Writes .safetensors files as the safetensors library does: header length, JSON header, the tensors' bytes.</summary>
internal static class Safetensors
{
    /// <param name="tensors">Name, dtype (F32, I64, …), shape and raw bytes of each tensor, stored in this order.</param>
    public static byte[] File(params (string Name, string Dtype, long[] Shape, byte[] Data)[] tensors)
    {
        var header = new Dictionary<string, object>();
        var offset = 0L;
        foreach (var (name, dtype, shape, data) in tensors)
        {
            header[name] = new { dtype, shape, data_offsets = new[] { offset, offset + data.Length } };
            offset += data.Length;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        return [.. length, .. json, .. tensors.SelectMany(t => t.Data)];
    }
}
