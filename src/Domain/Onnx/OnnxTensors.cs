using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using Shears.Domain.Graph;

namespace Shears.Domain.Onnx;

/// <summary>Reads and writes the values of ONNX tensors (raw_data or the typed repeated fields).</summary>
public static class OnnxTensors
{
    public static long[] Dims(TensorProto tensor) => [.. tensor.Dims];

    /// <summary>Product of the dimensions; long.MaxValue when a hostile file's dimensions overflow it.</summary>
    public static long ElementCount(TensorProto tensor)
    {
        long count = 1;
        foreach (var dim in tensor.Dims)
            if (dim != 0 && Math.Abs(count) > long.MaxValue / Math.Abs(dim))
                return long.MaxValue;
            else
                count *= dim;
        return count;
    }

    public static float[] ToFloats(TensorProto tensor)
    {
        var count = CheckedCount(tensor);
        return (TensorProto.Types.DataType)tensor.DataType switch
        {
            TensorProto.Types.DataType.Float when tensor.HasRawData => FromRaw<float>(tensor, count),
            TensorProto.Types.DataType.Float => Exactly(tensor, [.. tensor.FloatData], count),
            TensorProto.Types.DataType.Double when tensor.HasRawData => [.. FromRaw<double>(tensor, count).Select(v => (float)v)],
            TensorProto.Types.DataType.Double => Exactly(tensor, [.. tensor.DoubleData.Select(v => (float)v)], count),
            var type when IsInteger(type) => [.. ToInt64s(tensor).Select(v => (float)v)],
            _ => throw new InvalidModelException($"Tensor '{tensor.Name}' has data type {tensor.DataType}, which cannot be read as float."),
        };
    }

    /// <summary>
    /// Integer and boolean element types, read as int64 values: shapes and indices, and the masks exporters keep as
    /// bool or uint8 tensors (a GPT-2 causal mask buffer, a Swin attention mask).
    /// </summary>
    public static bool IsInteger(TensorProto.Types.DataType type) => type is TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Int32
        or TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Uint16
        or TensorProto.Types.DataType.Uint32 or TensorProto.Types.DataType.Uint64 or TensorProto.Types.DataType.Bool;

    /// <inheritdoc cref="IsInteger(TensorProto.Types.DataType)"/>
    public static bool IsInteger(TensorProto tensor) => IsInteger((TensorProto.Types.DataType)tensor.DataType);

    public static long[] ToInt64s(TensorProto tensor)
    {
        var count = CheckedCount(tensor);
        // Without raw_data, types narrower than 32 bits are kept in int32_data, UINT32 and UINT64 in uint64_data.
        return (TensorProto.Types.DataType)tensor.DataType switch
        {
            TensorProto.Types.DataType.Int64 when tensor.HasRawData => FromRaw<long>(tensor, count),
            TensorProto.Types.DataType.Int64 => Exactly(tensor, [.. tensor.Int64Data], count),
            TensorProto.Types.DataType.Int32 when tensor.HasRawData => [.. FromRaw<int>(tensor, count).Select(v => (long)v)],
            TensorProto.Types.DataType.Int16 when tensor.HasRawData => [.. FromRaw<short>(tensor, count).Select(v => (long)v)],
            TensorProto.Types.DataType.Uint16 when tensor.HasRawData => [.. FromRaw<ushort>(tensor, count).Select(v => (long)v)],
            TensorProto.Types.DataType.Int8 when tensor.HasRawData => [.. FromRaw<sbyte>(tensor, count).Select(v => (long)v)],
            TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool when tensor.HasRawData => [.. FromRaw<byte>(tensor, count).Select(v => (long)v)],
            TensorProto.Types.DataType.Uint32 when tensor.HasRawData => [.. FromRaw<uint>(tensor, count).Select(v => (long)v)],
            TensorProto.Types.DataType.Uint64 when tensor.HasRawData => [.. FromRaw<ulong>(tensor, count).Select(v => unchecked((long)v))],
            TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Uint16 or TensorProto.Types.DataType.Int8
                or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool => Exactly(tensor, [.. tensor.Int32Data.Select(v => (long)v)], count),
            TensorProto.Types.DataType.Uint32 or TensorProto.Types.DataType.Uint64 => Exactly(tensor, [.. tensor.Uint64Data.Select(v => unchecked((long)v))], count),
            _ => throw new InvalidModelException($"Tensor '{tensor.Name}' has data type {tensor.DataType}, which cannot be read as integers."),
        };
    }

    public static TensorProto FromFloats(string name, IReadOnlyList<long> dims, ReadOnlySpan<float> values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        return tensor;
    }

    public static TensorProto FromInt64s(string name, IReadOnlyList<long> dims, ReadOnlySpan<long> values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        return tensor;
    }

    private static int CheckedCount(TensorProto tensor)
    {
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
            throw new InvalidModelException($"Tensor '{tensor.Name}' keeps its data in an external file; upload a model with the weights embedded.");
        if (tensor.Dims.Any(d => d < 0))
            throw new InvalidModelException($"Tensor '{tensor.Name}' has a negative dimension.");
        var count = ElementCount(tensor);
        if (count > int.MaxValue / 8)
            throw new InvalidModelException($"Tensor '{tensor.Name}' claims {count} elements, more than Shears accepts.");
        return (int)count;
    }

    private static T[] FromRaw<T>(TensorProto tensor, int count) where T : struct
    {
        var bytes = tensor.RawData.Span;
        if (bytes.Length != count * Marshal.SizeOf<T>())
            throw new InvalidModelException($"Tensor '{tensor.Name}' has {bytes.Length} bytes of data but its shape needs {count * Marshal.SizeOf<T>()}.");
        return MemoryMarshal.Cast<byte, T>(bytes).ToArray();
    }

    private static T[] Exactly<T>(TensorProto tensor, T[] values, int count)
    {
        if (values.Length != count)
            throw new InvalidModelException($"Tensor '{tensor.Name}' has {values.Length} values but its shape needs {count}.");
        return values;
    }
}
