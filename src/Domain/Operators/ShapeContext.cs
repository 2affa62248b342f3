using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>What a <see cref="ShapeRule"/> reads and writes: tensor shapes and the values of small integer tensors.</summary>
internal sealed class ShapeContext(Dictionary<string, long[]> shapes, Dictionary<string, long[]> values, HashSet<string> int64, long opset,
    IReadOnlyDictionary<string, TensorProto> initializers)
{
    public const int MaxTrackedValues = 64;
    public const long Int32Type = (long)TensorProto.Types.DataType.Int32;
    public const long Int64Type = (long)TensorProto.Types.DataType.Int64;

    public IReadOnlyDictionary<string, long[]> Values => values;

    public long Opset => opset;

    public long[] Shape(NodeProto node, int input)
    {
        var name = node.InputOrEmpty(input);
        return shapes.TryGetValue(name, out var shape)
            ? shape
            : throw new InvalidModelException($"Node '{node.DisplayName()}' ({node.OpType}) reads '{name}', whose shape is unknown.");
    }

    public long[]? Value(NodeProto node, int input) => values.GetValueOrDefault(node.InputOrEmpty(input));

    /// <summary>The values of a float initializer (or Constant) read at <paramref name="input"/>, or null when it is computed.</summary>
    public float[]? FloatValues(NodeProto node, int input) =>
        initializers.TryGetValue(node.InputOrEmpty(input), out var tensor) && tensor.DataType == (int)TensorProto.Types.DataType.Float
            ? OnnxTensors.ToFloats(tensor) : null;

    public long[] RequiredValue(NodeProto node, int input, string what) =>
        Value(node, input) ?? throw new InvalidModelException($"Node '{node.DisplayName()}' ({node.OpType}) takes its {what} from a tensor computed at run time; Shears needs it to be constant.");

    /// <summary>
    /// Sets every output's shape (and the first output's value when known). The value is int64 when
    /// <paramref name="isInt64"/> says so, or, when it is null, when the first input's value is.
    /// </summary>
    public void Set(NodeProto node, long[] shape, long[]? value = null, bool? isInt64 = null)
    {
        foreach (var output in node.Output.Where(o => o != ""))
            shapes[output] = ShapeInference.Checked(shape, output);
        // Values are combined element by element; a broadcast of one vector against another ([1, T] − [T, 1] positions)
        // makes a tensor they do not describe, so none is recorded.
        if (value is not null && shape.All(d => d >= 0) && shape.Aggregate(1L, (a, d) => a * d) != value.Length)
            value = null;
        SetValue(node, 0, value, isInt64);
    }

    /// <summary>Sets one output's shape (operators with several outputs of different shapes).</summary>
    public void SetOutput(NodeProto node, int output, long[] shape)
    {
        if (node.Output.Count > output && node.Output[output] != "")
            shapes[node.Output[output]] = ShapeInference.Checked(shape, node.Output[output]);
    }

    private void SetValue(NodeProto node, int output, long[]? value, bool? isInt64)
    {
        if (value is null || value.Length > MaxTrackedValues)
            return;
        values[node.Output[output]] = value;
        if (isInt64 ?? int64.Contains(node.Input[0]))
            int64.Add(node.Output[output]);
    }
}
