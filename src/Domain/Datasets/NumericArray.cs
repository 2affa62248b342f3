using System.Runtime.InteropServices;

namespace Shears.Domain.Datasets;

/// <summary>An array as read from a file: its header and its raw element bytes, put into the machine's byte order.</summary>
public sealed class NumericArray
{
    private readonly byte[] _data;
    private readonly int _elementSize;

    public NumericArray(ArrayHeader header, byte[] data)
    {
        Header = header;
        _elementSize = header.ElementType.SizeInBytes();
        _data = data;
        if (_elementSize > 1 && header.BigEndian == BitConverter.IsLittleEndian)
        {
            for (var offset = 0; offset < data.Length; offset += _elementSize) data.AsSpan(offset, _elementSize).Reverse();
        }
    }

    public ArrayHeader Header { get; }
    public int Count => _data.Length / _elementSize;

    public float[] ToFloats()
    {
        var values = new float[Count];
        for (var i = 0; i < values.Length; i++) values[i] = FloatAt(i);
        return values;
    }

    public long[] ToLongs()
    {
        var values = new long[Count];
        for (var i = 0; i < values.Length; i++) values[i] = LongAt(i);
        return values;
    }

    private float FloatAt(int i) => Header.ElementType switch
    {
        ElementType.Float32 => Read<float>(i),
        ElementType.Float64 => (float)Read<double>(i),
        _ => LongAt(i),
    };

    private long LongAt(int i) => Header.ElementType switch
    {
        ElementType.UInt8 => _data[i],
        ElementType.Bool => _data[i] == 0 ? 0 : 1,
        ElementType.Int8 => (sbyte)_data[i],
        ElementType.Int16 => Read<short>(i),
        ElementType.Int32 => Read<int>(i),
        ElementType.Int64 => Read<long>(i),
        var type => throw new InvalidOperationException($"{type} is not an integer type."),
    };

    private T Read<T>(int i) where T : unmanaged => MemoryMarshal.Read<T>(_data.AsSpan(i * _elementSize, _elementSize));
}
