using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Shears.Worker.Engine.Checkpoints;

/// <summary>Reads what <see cref="SafetensorsWriter"/> writes: tensors by name (their bytes as stored), and the header's string metadata.</summary>
public static class SafetensorsReader
{
    public sealed record Contents(IReadOnlyDictionary<string, SafetensorsTensor> Tensors, IReadOnlyDictionary<string, string> Metadata);

    /// <exception cref="InvalidDataException">The bytes are not a safetensors file of the dtypes Shears writes.</exception>
    public static Contents Read(ReadOnlySpan<byte> file)
    {
        if (file.Length < 8 || BinaryPrimitives.ReadUInt64LittleEndian(file) is var headerLength && headerLength > (ulong)(file.Length - 8))
            throw new InvalidDataException("Not a safetensors file: the header length points past the end.");
        var data = file[(8 + (int)headerLength)..];
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(file.Slice(8, (int)headerLength)));
        var tensors = new Dictionary<string, SafetensorsTensor>();
        var metadata = new Dictionary<string, string>();
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                foreach (var item in entry.Value.EnumerateObject())
                    metadata[item.Name] = item.Value.GetString() ?? "";
                continue;
            }
            var dtype = entry.Value.GetProperty("dtype").GetString() ?? "";
            if (!SafetensorsTensor.ElementSizes.TryGetValue(dtype, out var size))
                throw new InvalidDataException($"Tensor '{entry.Name}' has the dtype '{dtype}', which Shears does not read.");
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt64()).ToArray();
            if (offsets is not [var begin, var end] || begin < 0 || end < begin || end > data.Length
                || shape.Any(d => d < 0) || shape.Aggregate(1L, (a, b) => a * b) * size != end - begin)
                throw new InvalidDataException($"Tensor '{entry.Name}' has data offsets that do not fit the file or its shape.");
            tensors[entry.Name] = new SafetensorsTensor(dtype, shape, data[(int)begin..(int)end].ToArray());
        }
        return new Contents(tensors, metadata);
    }
}
