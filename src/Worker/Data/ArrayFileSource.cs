using Shears.Domain.Datasets;
using Shears.Worker.Engine;

namespace Shears.Worker.Data;

/// <summary>
/// The rows of an IDX or .npy array file (gzipped or not) as samples: its data bytes, unpacked once into a local scratch
/// file a chunk at a time, are read a row at a time from there, × <c>scale</c>. Memory holds a row, never the array.
/// </summary>
public sealed class ArrayFileSource : ISampleSource
{
    private readonly LocalScratchFile _data = new("array");
    private readonly ArrayHeader _header;
    private readonly int _rowBytes;
    private readonly float _scale;

    /// <param name="modelInputShape">The network's input shape, whose per-sample part a row takes when it is fixed; null for the file's.</param>
    /// <param name="scale">Null: 1/255 for byte data, else 1.</param>
    public ArrayFileSource(Stream raw, string fileName, IReadOnlyList<long>? modelInputShape, double? scale)
    {
        using var reader = NumericArrayReader.Open(raw, fileName, new DatasetLimits());
        _header = reader.Header;
        foreach (var chunk in ReadChunks(reader))
        {
            _data.Append(chunk);
        }
        Count = _header.Shape[0];
        var rowValues = _header.Shape[1..].Aggregate(1L, (a, b) => a * b);
        _rowBytes = (int)(rowValues * _header.ElementType.SizeInBytes());
        SampleShape = ModelSampleShape.For(_header.Shape[1..], modelInputShape);
        _scale = (float)(scale ?? (_header.ElementType == ElementType.UInt8 ? 1.0 / 255.0 : 1.0));
    }

    public int Count { get; }

    public long[] SampleShape { get; }

    public void Read(int row, Span<float> destination, Random? augmentation)
    {
        var bytes = new byte[_rowBytes];
        _data.ReadAt((long)row * _rowBytes, bytes);
        var values = new NumericArray(_header, bytes).ToFloats();
        for (var i = 0; i < values.Length; i++)
        {
            destination[i] = values[i] * _scale;
        }
    }

    public void Dispose() => _data.Dispose();

    private static IEnumerable<byte[]> ReadChunks(NumericArrayReader reader)
    {
        var chunk = new byte[1 << 20];
        while (reader.Read(chunk) is var n and > 0)
        {
            yield return chunk[..n];
        }
    }
}
