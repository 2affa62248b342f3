using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Shears.Worker.Engine;

/// <summary>Reads what <see cref="SafetensorsWriter"/> writes: float32 tensors by name, and the header's string metadata.</summary>
public static class SafetensorsReader
{
    public sealed record Contents(IReadOnlyDictionary<string, (long[] Shape, float[] Values)> Tensors, IReadOnlyDictionary<string, string> Metadata);

    /// <exception cref="InvalidDataException">The bytes are not a float32 safetensors file.</exception>
    public static Contents Read(ReadOnlySpan<byte> file)
    {
        if (file.Length < 8 || BinaryPrimitives.ReadUInt64LittleEndian(file) is var headerLength && headerLength > (ulong)(file.Length - 8))
            throw new InvalidDataException("Not a safetensors file: the header length points past the end.");
        var data = file[(8 + (int)headerLength)..];
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(file.Slice(8, (int)headerLength)));
        var tensors = new Dictionary<string, (long[], float[])>();
        var metadata = new Dictionary<string, string>();
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                foreach (var item in entry.Value.EnumerateObject())
                    metadata[item.Name] = item.Value.GetString() ?? "";
                continue;
            }
            if (entry.Value.GetProperty("dtype").GetString() != "F32")
                throw new InvalidDataException($"Tensor '{entry.Name}' is not float32.");
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt64()).ToArray();
            if (offsets is not [var begin, var end] || begin < 0 || end < begin || end > data.Length || (end - begin) % 4 != 0
                || shape.Aggregate(1L, (a, b) => a * b) * 4 != end - begin)
                throw new InvalidDataException($"Tensor '{entry.Name}' has data offsets that do not fit the file or its shape.");
            var values = MemoryMarshal.Cast<byte, float>(data[(int)begin..(int)end]).ToArray();
            if (!BitConverter.IsLittleEndian)
                for (var i = 0; i < values.Length; i++)
                    values[i] = BinaryPrimitives.ReverseEndianness(BitConverter.SingleToInt32Bits(values[i])) is var swapped ? BitConverter.Int32BitsToSingle(swapped) : 0;
            tensors[entry.Name] = (shape, values);
        }
        return new Contents(tensors, metadata);
    }
}
