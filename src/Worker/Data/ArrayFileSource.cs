using Shears.Domain.Datasets;

namespace Shears.Worker.Data;

/// <summary>
/// The rows of one array file as samples: an IDX or .npy file (gzipped or not), or one member of a .npz or .safetensors
/// file. Its data bytes, unpacked once into a local scratch file a chunk at a time (a deflated .npz member cannot be read
/// at an offset, and a stored one shares its file's position), are then read a row at a time from there, by any number of
/// loader threads at once: floats × <c>scale</c>, or integers (ids, masks) as they are. Memory holds a row, never the array.
/// </summary>
public sealed class ArrayFileSource : ISampleSource
{
    private readonly LocalScratchFile _data = new("array");
    private readonly int _rowBytes;
    private readonly float _scale;

    /// <param name="scale">Null: 1/255 for byte data, else 1.</param>
    public ArrayFileSource(Stream raw, string fileName, double? scale)
    {
        using (var reader = NumericArrayReader.Open(raw, fileName, new DatasetLimits()))
        {
            Header = reader.Header;
            var chunk = new byte[1 << 20];
            while (reader.Read(chunk) is var n and > 0)
                _data.Append(chunk.AsSpan(0, n)); // the file's bytes, byte order and all: a row becomes a NumericArray when read
        }
        Count = Header.Shape[0];
        SampleShape = [.. Header.Shape[1..].Select(d => (long)d)];
        _rowBytes = (int)(SampleShape.Aggregate(1L, (a, b) => a * b) * Header.ElementType.SizeInBytes());
        _scale = (float)(scale ?? (Header.ElementType == ElementType.UInt8 ? 1.0 / 255.0 : 1.0));
    }

    public ArrayHeader Header { get; }

    public int Count { get; }

    /// <summary>The file's own per-sample shape.</summary>
    public long[] SampleShape { get; }

    /// <summary>The array as the upload's check described it, under <paramref name="name"/>.</summary>
    public ArrayDescription Describe(string name) => new(name, Header.ElementType.WireName(), Header.Shape[1..]);

    public void Read(int row, Span<float> destination, Random? augmentation)
    {
        var values = ReadRow(row).ToFloats();
        for (var i = 0; i < values.Length; i++)
            destination[i] = values[i] * _scale;
    }

    public void ReadIntegers(int row, Span<long> destination) => ReadRow(row).ToLongs().CopyTo(destination);

    private NumericArray ReadRow(int row)
    {
        var bytes = new byte[_rowBytes];
        _data.ReadAt((long)row * _rowBytes, bytes);
        return new NumericArray(Header, bytes);
    }

    public void Dispose() => _data.Dispose();
}
