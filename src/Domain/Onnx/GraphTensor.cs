using Onnx;

namespace Shears.Domain.Onnx;

/// <summary>A graph input or output: its name, element type and dimensions (-1 where symbolic, such as the batch).</summary>
public sealed record GraphTensor(string Name, TensorProto.Types.DataType ElementType, IReadOnlyList<long> Shape)
{
    /// <summary>Element types a graph input may have: float data, and integer ids or masks (int64, int32, bool).</summary>
    public static readonly IReadOnlySet<TensorProto.Types.DataType> InputTypes = new HashSet<TensorProto.Types.DataType>
    {
        TensorProto.Types.DataType.Float, TensorProto.Types.DataType.Int64, TensorProto.Types.DataType.Int32, TensorProto.Types.DataType.Bool,
    };

    /// <summary>True for int64, int32 and bool inputs: token ids and masks, which reach the graph as integers, never scaled.</summary>
    public bool IsInteger => ElementType is not TensorProto.Types.DataType.Float;

    /// <summary>The element type as a user reads it: float32, int64, int32, bool, …</summary>
    public string ElementTypeName => TypeName(ElementType);

    public static string TypeName(TensorProto.Types.DataType type) => type switch
    {
        TensorProto.Types.DataType.Float => "float32",
        TensorProto.Types.DataType.Double => "float64",
        TensorProto.Types.DataType.Float16 => "float16",
        TensorProto.Types.DataType.Bfloat16 => "bfloat16",
        TensorProto.Types.DataType.Int64 => "int64",
        TensorProto.Types.DataType.Int32 => "int32",
        TensorProto.Types.DataType.Int16 => "int16",
        TensorProto.Types.DataType.Int8 => "int8",
        TensorProto.Types.DataType.Uint8 => "uint8",
        TensorProto.Types.DataType.Bool => "bool",
        TensorProto.Types.DataType.String => "string",
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>E.g. <c>input_ids int64 [N, 16]</c>.</summary>
    public string Describe() => $"{Name} {ElementTypeName} [{string.Join(", ", Shape.Select(d => d < 0 ? "N" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
}
