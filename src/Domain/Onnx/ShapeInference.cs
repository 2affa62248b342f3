using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Operators;

namespace Shears.Domain.Onnx;

/// <summary>
/// Static shape inference: each node's <see cref="OperatorFacts"/> sets its output shapes. The input's
/// first dimension may be symbolic (the batch, -1); every other input dimension must be fixed. Small
/// integer tensors (shape arithmetic) are evaluated along the way.
/// </summary>
public static class ShapeInference
{
    private const int MaxRank = 8;
    private const long MaxDimension = 1L << 31;

    public static TensorShapes Infer(OnnxGraph graph)
    {
        var shapes = new Dictionary<string, long[]>();
        var values = new Dictionary<string, long[]>();
        var int64 = new HashSet<string>();
        foreach (var (name, tensor) in graph.Initializers)
        {
            shapes[name] = Checked(OnnxTensors.Dims(tensor), name);
            if (IsInteger(tensor) && OnnxTensors.ElementCount(tensor) <= ShapeContext.MaxTrackedValues)
            {
                values[name] = OnnxTensors.ToInt64s(tensor);
                if (tensor.DataType == ShapeContext.Int64Type)
                    int64.Add(name);
            }
        }

        foreach (var input in graph.Inputs)
            shapes[input.Name] = InputShape(input);
        var context = new ShapeContext(shapes, values, int64, graph.Opset, graph.Initializers);
        foreach (var node in graph.Nodes)
        {
            var facts = OperatorRegistry.Find(node)
                ?? throw new InvalidModelException($"Node '{node.DisplayName()}' uses operator {OperatorRegistry.Describe(node)}, which Shears does not support.");
            try
            {
                facts.Shape(node, context);
            }
            catch (OverflowException)
            {
                throw new InvalidModelException($"Node '{node.DisplayName()}' ({node.OpType}) has dimensions too large to compute with.");
            }
            catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or DivideByZeroException)
            {
                throw new InvalidModelException($"Node '{node.DisplayName()}' ({node.OpType}) has inputs or attributes Shears cannot make sense of: {e.Message}");
            }
        }
        return new TensorShapes(shapes, values, int64);
    }

    private static long[] InputShape(GraphTensor input)
    {
        var shape = input.Shape.ToArray();
        if (shape.Length is 0 or > MaxRank)
            throw new InvalidModelException($"Input '{input.Name}' has rank {shape.Length}; Shears needs a declared shape of rank 1 to {MaxRank}.");
        for (var i = 1; i < shape.Length; i++)
            if (shape[i] <= 0)
                throw new InvalidModelException($"Input '{input.Name}' dimension {i} is dynamic; export the model with a fixed input size (only the batch dimension may be dynamic).");
        return Checked(shape, input.Name);
    }

    internal static bool IsInteger(TensorProto tensor) => OnnxTensors.IsInteger(tensor);

    internal static long[] Checked(long[] shape, string tensor)
    {
        if (shape.Length > MaxRank)
            throw new InvalidModelException($"Tensor '{tensor}' has rank {shape.Length}; Shears supports rank up to {MaxRank}.");
        if (shape.Any(d => d > MaxDimension))
            throw new InvalidModelException($"Tensor '{tensor}' has a dimension larger than {MaxDimension}.");
        if (shape.Aggregate(1.0, (a, d) => a * Math.Max(d, 1)) > 1e13)
            throw new InvalidModelException($"Tensor '{tensor}' would have more than 10^13 elements.");
        return shape;
    }

    /// <summary>Numpy multidirectional broadcasting; a symbolic dimension against 1 stays symbolic.</summary>
    public static long[] Broadcast(long[] a, long[] b)
    {
        var rank = Math.Max(a.Length, b.Length);
        var result = new long[rank];
        for (var i = 0; i < rank; i++)
        {
            var x = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            var y = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            result[i] = (x, y) switch
            {
                _ when x == y => x,
                (1, _) => y,
                (_, 1) => x,
                ( < 0, _) => y,
                (_, < 0) => x,
                _ => throw new InvalidModelException($"Shapes [{string.Join(",", a)}] and [{string.Join(",", b)}] cannot be broadcast together."),
            };
        }
        return result;
    }

    /// <summary>Product of dimensions; symbolic (-1) when any is symbolic.</summary>
    internal static long Product(long[] dims) => dims.Any(d => d < 0) ? -1 : dims.Aggregate(1L, (a, d) => checked(a * d));

    /// <summary>Normalizes a possibly negative axis against a rank, refusing one out of range.</summary>
    public static long Axis(NodeProto node, long axis, int rank)
    {
        var normalized = axis < 0 ? axis + rank : axis;
        return normalized >= 0 && normalized < Math.Max(rank, 1)
            ? normalized
            : throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' has axis {axis}, outside its rank {rank}.");
    }

    /// <summary>Convolution and pooling run over 1, 2 or 3 spatial axes.</summary>
    internal static void RequireSpatial(NodeProto node, long[] x)
    {
        if (x.Length is < 3 or > 5)
            throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' needs an N×C×spatial input with 1 to 3 spatial axes, got rank {x.Length}.");
    }

    internal static void RequireEqual(NodeProto node, long a, long b, string what)
    {
        if (a >= 0 && b >= 0 && a != b)
            throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' has mismatched {what}: {a} and {b}.");
    }

    internal static long[] Ones(int count) => [.. Enumerable.Repeat(1L, count)];
}
