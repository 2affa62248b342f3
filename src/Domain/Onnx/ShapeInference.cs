using Onnx;
using Shears.Domain.Graph;

namespace Shears.Domain.Onnx;

/// <summary>
/// Static shape inference for the operators in <see cref="SupportedOps"/>. The input's first dimension
/// may be symbolic (the batch, -1); every other input dimension must be fixed. Shape arithmetic
/// (x.view(x.size(0), -1) exports Shape → Gather → Unsqueeze → Concat → Reshape) is evaluated statically.
/// </summary>
public static class ShapeInference
{
    private const int MaxRank = 8;
    private const long MaxDimension = 1L << 31;
    private const int MaxTrackedValues = 64;
    private const long Int32Type = (long)TensorProto.Types.DataType.Int32;
    private const long Int64Type = (long)TensorProto.Types.DataType.Int64;

    public static TensorShapes Infer(OnnxGraph graph)
    {
        var shapes = new Dictionary<string, long[]>();
        var values = new Dictionary<string, long[]>();
        var int64 = new HashSet<string>();
        foreach (var (name, tensor) in graph.Initializers)
        {
            shapes[name] = Checked(OnnxTensors.Dims(tensor), name);
            if (IsInteger(tensor) && OnnxTensors.ElementCount(tensor) <= MaxTrackedValues)
            {
                values[name] = OnnxTensors.ToInt64s(tensor);
                if (tensor.DataType == Int64Type)
                    int64.Add(name);
            }
        }

        shapes[graph.InputName] = InputShape(graph);
        var context = new Context(shapes, values, int64);
        foreach (var node in graph.Nodes.Where(n => n.OpType != "Constant"))
        {
            if (!SupportedOps.IsSupported(node))
                throw new InvalidModelException($"Node '{node.DisplayName()}' uses operator {SupportedOps.Describe(node)}, which Shears does not support.");
            try
            {
                InferNode(node, context);
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

    private static long[] InputShape(OnnxGraph graph)
    {
        var shape = graph.InputShape.ToArray();
        if (shape.Length is 0 or > MaxRank)
            throw new InvalidModelException($"Input '{graph.InputName}' has rank {shape.Length}; Shears needs a declared shape of rank 1 to {MaxRank}.");
        for (var i = 1; i < shape.Length; i++)
            if (shape[i] <= 0)
                throw new InvalidModelException($"Input '{graph.InputName}' dimension {i} is dynamic; export the model with a fixed input size (only the batch dimension may be dynamic).");
        return Checked(shape, graph.InputName);
    }

    private static bool IsInteger(TensorProto tensor) =>
        (TensorProto.Types.DataType)tensor.DataType is TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Int32;

    private static long[] Checked(long[] shape, string tensor)
    {
        if (shape.Length > MaxRank)
            throw new InvalidModelException($"Tensor '{tensor}' has rank {shape.Length}; Shears supports rank up to {MaxRank}.");
        if (shape.Any(d => d > MaxDimension))
            throw new InvalidModelException($"Tensor '{tensor}' has a dimension larger than {MaxDimension}.");
        if (shape.Aggregate(1.0, (a, d) => a * Math.Max(d, 1)) > 1e13)
            throw new InvalidModelException($"Tensor '{tensor}' would have more than 10^13 elements.");
        return shape;
    }

    private sealed class Context(Dictionary<string, long[]> shapes, Dictionary<string, long[]> values, HashSet<string> int64)
    {
        public Dictionary<string, long[]> Values => values;

        public long[] Shape(NodeProto node, int input)
        {
            var name = node.InputOrEmpty(input);
            return shapes.TryGetValue(name, out var shape)
                ? shape
                : throw new InvalidModelException($"Node '{node.DisplayName()}' ({node.OpType}) reads '{name}', whose shape is unknown.");
        }

        public long[]? Value(NodeProto node, int input) => values.GetValueOrDefault(node.InputOrEmpty(input));

        public long[] RequiredValue(NodeProto node, int input, string what) =>
            Value(node, input) ?? throw new InvalidModelException($"Node '{node.DisplayName()}' ({node.OpType}) takes its {what} from a tensor computed at run time; Shears needs it to be constant.");

        public void Set(NodeProto node, long[] shape, long[]? value = null)
        {
            foreach (var output in node.Output.Where(o => o != ""))
                shapes[output] = Checked(shape, output);
            if (value is null || value.Length > MaxTrackedValues)
                return;
            values[node.Output[0]] = value;
            if (node.OpType switch
            {
                "Shape" => true,
                "Cast" => node.IntAttribute("to", 0) == Int64Type,
                "ConstantOfShape" => node.Attribute.FirstOrDefault(a => a.Name == "value")?.T?.DataType == Int64Type,
                _ => int64.Contains(node.Input[0]),
            })
                int64.Add(node.Output[0]);
        }
    }

    private static void InferNode(NodeProto node, Context c)
    {
        switch (node.OpType)
        {
            case "Gemm": c.Set(node, Gemm(node, c)); break;
            case "MatMul": c.Set(node, MatMul(node, c.Shape(node, 0), c.Shape(node, 1))); break;
            case "Add" or "Sub" or "Mul" or "Div": Arithmetic(node, c); break;
            case "Conv": c.Set(node, Conv(node, c.Shape(node, 0), c.Shape(node, 1))); break;
            case "MaxPool" or "AveragePool": c.Set(node, Pool(node, c.Shape(node, 0))); break;
            case "GlobalAveragePool": c.Set(node, [.. c.Shape(node, 0).Select((d, i) => i < 2 ? d : 1)]); break;
            case "Flatten": c.Set(node, Flatten(node, c.Shape(node, 0))); break;
            case "Reshape": c.Set(node, Reshape(node, c.Shape(node, 0), c.RequiredValue(node, 1, "target shape")), c.Value(node, 0)); break;
            case "Transpose": Transpose(node, c); break;
            case "Slice": Slice(node, c); break;
            case "ConstantOfShape": ConstantOfShape(node, c); break;
            case "Pad": c.Set(node, Pad(node, c)); break;
            case "Concat": Concat(node, c); break;
            case "Shape": Shape(node, c); break;
            case "Gather": Gather(node, c); break;
            case "Unsqueeze": Unsqueeze(node, c); break;
            case "Squeeze": Squeeze(node, c); break;
            case "Cast": c.Set(node, c.Shape(node, 0), node.IntAttribute("to", 0) is Int64Type or Int32Type ? c.Value(node, 0) : null); break;
            default: c.Set(node, c.Shape(node, 0)); break; // elementwise, BatchNormalization, Softmax, LogSoftmax
        }
    }

    private static long[] Gemm(NodeProto node, Context c)
    {
        var a = c.Shape(node, 0);
        var b = c.Shape(node, 1);
        if (a.Length != 2 || b.Length != 2)
            throw new InvalidModelException($"Gemm '{node.DisplayName()}' needs 2-D inputs, got [{string.Join(",", a)}] and [{string.Join(",", b)}].");
        var (m, k) = node.IntAttribute("transA", 0) != 0 ? (a[1], a[0]) : (a[0], a[1]);
        var (k2, n) = node.IntAttribute("transB", 0) != 0 ? (b[1], b[0]) : (b[0], b[1]);
        RequireEqual(node, k, k2, "inner dimensions");
        return [m, n];
    }

    private static long[] MatMul(NodeProto node, long[] a, long[] b)
    {
        if (a.Length == 0 || b.Length == 0)
            throw new InvalidModelException($"MatMul '{node.DisplayName()}' has a scalar input.");
        var left = a.Length == 1 ? [1, a[0]] : a;
        var right = b.Length == 1 ? [b[0], 1] : b;
        RequireEqual(node, left[^1], right[^2], "inner dimensions");
        var batch = Broadcast(left[..^2], right[..^2]);
        var result = new List<long>(batch);
        if (a.Length > 1) result.Add(left[^2]);
        if (b.Length > 1) result.Add(right[^1]);
        return [.. result];
    }

    private static void Arithmetic(NodeProto node, Context c)
    {
        var shape = Broadcast(c.Shape(node, 0), c.Shape(node, 1));
        long[]? value = null;
        if (c.Value(node, 0) is { } x && c.Value(node, 1) is { } y && (x.Length == y.Length || x.Length == 1 || y.Length == 1))
        {
            var count = Math.Max(x.Length, y.Length);
            value = new long[count];
            for (var i = 0; i < count; i++)
                value[i] = Apply(node.OpType, x[x.Length == 1 ? 0 : i], y[y.Length == 1 ? 0 : i]);
        }
        c.Set(node, shape, value);
    }

    private static long Apply(string op, long x, long y) =>
        x == TensorShapes.SymbolicValue || y == TensorShapes.SymbolicValue ? TensorShapes.SymbolicValue : op switch
        {
            "Add" => checked(x + y),
            "Sub" => checked(x - y),
            "Mul" => checked(x * y),
            _ => x / y,
        };

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

    private static long[] Conv(NodeProto node, long[] x, long[] w)
    {
        RequireSpatial(node, x);
        if (w.Length != x.Length)
            throw new InvalidModelException($"Conv '{node.DisplayName()}' has a weight of rank {w.Length} for an input of rank {x.Length}.");
        var group = node.IntAttribute("group", 1);
        if (group <= 0)
            throw new InvalidModelException($"Conv '{node.DisplayName()}' has group {group}.");
        RequireEqual(node, x[1], checked(w[1] * group), "input channels (weight in-channels × group)");
        var kernel = node.IntsAttribute("kernel_shape") ?? w[2..];
        return [x[0], w[0], .. Windows(node, x[2..], kernel, node.IntsAttribute("dilations"), ceil: false)];
    }

    private static long[] Pool(NodeProto node, long[] x)
    {
        RequireSpatial(node, x);
        var kernel = node.IntsAttribute("kernel_shape") ?? throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' has no kernel_shape.");
        return [x[0], x[1], .. Windows(node, x[2..], kernel, node.IntsAttribute("dilations"), ceil: node.IntAttribute("ceil_mode", 0) != 0)];
    }

    /// <summary>Output extent of a sliding window (Conv, pooling) per spatial axis, following ONNX Runtime.</summary>
    private static long[] Windows(NodeProto node, long[] input, long[] kernel, long[]? dilations, bool ceil)
    {
        var spatial = input.Length;
        if (kernel.Length != spatial)
            throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' has a {kernel.Length}-D kernel for {spatial} spatial dimensions.");
        var strides = node.IntsAttribute("strides") ?? Ones(spatial);
        dilations ??= Ones(spatial);
        var pads = node.IntsAttribute("pads") ?? new long[2 * spatial];
        var autoPad = node.StringAttribute("auto_pad", "NOTSET");
        if (strides.Length != spatial || dilations.Length != spatial || pads.Length != 2 * spatial || strides.Any(s => s <= 0) || dilations.Any(d => d <= 0))
            throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' has strides, dilations or pads that do not match its {spatial} spatial dimensions.");
        var result = new long[spatial];
        for (var i = 0; i < spatial; i++)
        {
            var extent = checked(((kernel[i] - 1) * dilations[i]) + 1);
            result[i] = autoPad switch
            {
                "SAME_UPPER" or "SAME_LOWER" => (input[i] + strides[i] - 1) / strides[i],
                "VALID" => ((input[i] - extent) / strides[i]) + 1,
                _ => Sliding(input[i], pads[i], pads[i + spatial], extent, strides[i], ceil),
            };
            if (result[i] <= 0)
                throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' has a window larger than its input (spatial size {input[i]}).");
        }
        return result;
    }

    private static long Sliding(long input, long padBegin, long padEnd, long extent, long stride, bool ceil)
    {
        var span = checked(input + padBegin + padEnd - extent);
        if (span < 0)
            return 0;
        var count = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        if (ceil && (count - 1) * stride >= input + padBegin)
            count--; // the last window must start inside the input or its leading padding
        return count;
    }

    private static long[] Flatten(NodeProto node, long[] x)
    {
        var axis = Axis(node, node.IntAttribute("axis", 1), x.Length + 1);
        return [Product(x[..(int)axis]), Product(x[(int)axis..])];
    }

    /// <summary>Product of dimensions; symbolic (-1) when any is symbolic.</summary>
    private static long Product(long[] dims) => dims.Any(d => d < 0) ? -1 : dims.Aggregate(1L, (a, d) => checked(a * d));

    private static long[] Reshape(NodeProto node, long[] input, long[] target)
    {
        var allowZero = node.IntAttribute("allowzero", 0) != 0;
        var result = new long[target.Length];
        var inferred = -1;
        for (var i = 0; i < target.Length; i++)
        {
            result[i] = target[i] switch
            {
                0 when !allowZero => i < input.Length ? input[i] : throw new InvalidModelException($"Reshape '{node.DisplayName()}' copies dimension {i}, which its input does not have."),
                TensorShapes.SymbolicValue => -1,
                -1 when inferred < 0 => 0,
                < 0 => throw new InvalidModelException($"Reshape '{node.DisplayName()}' has an invalid target dimension {target[i]}."),
                _ => target[i],
            };
            if (target[i] == -1)
                inferred = i;
        }

        var known = input.Where(d => d >= 0).Aggregate(1L, (a, d) => checked(a * d));
        var knownOut = result.Where((d, i) => d >= 0 && i != inferred).Aggregate(1L, (a, d) => checked(a * d));
        var symbolicIn = input.Count(d => d < 0);
        var symbolicOut = result.Count(d => d < 0);
        if (inferred >= 0)
        {
            if (knownOut == 0 || known % knownOut != 0)
                throw new InvalidModelException($"Reshape '{node.DisplayName()}' cannot reshape [{string.Join(",", input)}] to [{string.Join(",", target.Select(Show))}].");
            result[inferred] = symbolicIn > symbolicOut ? -1 : known / knownOut;
        }
        else if (symbolicIn == symbolicOut && known != knownOut)
        {
            throw new InvalidModelException($"Reshape '{node.DisplayName()}' cannot reshape [{string.Join(",", input)}] to [{string.Join(",", target.Select(Show))}].");
        }
        return result;
    }

    private static string Show(long value) => value == TensorShapes.SymbolicValue ? "batch" : value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void Transpose(NodeProto node, Context c)
    {
        var x = c.Shape(node, 0);
        var shape = Transpose(node, x);
        c.Set(node, shape, c.Value(node, 0) is { } values && x.All(d => d >= 0)
            ? ShapeArithmetic.Transpose(values, x, node.IntsAttribute("perm") ?? [.. Enumerable.Range(0, x.Length).Reverse().Select(i => (long)i)])
            : null);
    }

    private static void Slice(NodeProto node, Context c)
    {
        var x = c.Shape(node, 0);
        var fromAttributes = node.Has("starts");
        var starts = fromAttributes ? node.IntsAttribute("starts")! : c.RequiredValue(node, 1, "starts");
        var ends = fromAttributes ? node.IntsAttribute("ends")! : c.RequiredValue(node, 2, "ends");
        var axes = fromAttributes ? node.IntsAttribute("axes") : node.InputOrEmpty(3) == "" ? null : c.RequiredValue(node, 3, "axes");
        var steps = fromAttributes || node.InputOrEmpty(4) == "" ? null : c.RequiredValue(node, 4, "steps");
        var (shape, firsts, strides) = ShapeArithmetic.Slice(node, x, starts, ends, axes, steps);
        c.Set(node, shape, c.Value(node, 0) is { } values && shape.All(d => d >= 0) && x.All(d => d >= 0)
            ? ShapeArithmetic.SliceValues(values, x, shape, firsts, strides)
            : null);
    }

    private static void ConstantOfShape(NodeProto node, Context c)
    {
        var shape = c.RequiredValue(node, 0, "shape");
        if (shape.Any(d => d < 0))
            throw new InvalidModelException($"ConstantOfShape '{node.DisplayName()}' makes a tensor of a run-time shape; Shears needs it static.");
        var fill = node.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
        var count = shape.Aggregate(1.0, (a, d) => a * d);
        long[]? values = fill is not null && IsInteger(fill) && count <= MaxTrackedValues
            ? [.. Enumerable.Repeat(OnnxTensors.ToInt64s(fill)[0], (int)count)]
            : null;
        c.Set(node, shape, values);
    }

    private static long[] Transpose(NodeProto node, long[] x)
    {
        var perm = node.IntsAttribute("perm") ?? [.. Enumerable.Range(0, x.Length).Reverse().Select(i => (long)i)];
        if (perm.Length != x.Length || perm.Distinct().Count() != x.Length || perm.Any(p => p < 0 || p >= x.Length))
            throw new InvalidModelException($"Transpose '{node.DisplayName()}' has a permutation that does not fit its rank-{x.Length} input.");
        return [.. perm.Select(p => x[p])];
    }

    /// <summary>Begin and end pads for every axis of the input (from the attribute before opset 11, the input after).</summary>
    public static long[] PadAmounts(NodeProto node, int rank, IReadOnlyDictionary<string, long[]> values)
    {
        var pads = node.IntsAttribute("pads") ?? values.GetValueOrDefault(node.InputOrEmpty(1))
            ?? throw new InvalidModelException($"Pad '{node.DisplayName()}' takes its pads from a tensor computed at run time; Shears needs them constant.");
        if (node.InputOrEmpty(3) == "")
            return pads.Length == 2 * rank ? pads : throw new InvalidModelException($"Pad '{node.DisplayName()}' has {pads.Length} pads for rank {rank}.");
        var axes = values.GetValueOrDefault(node.Input[3])
            ?? throw new InvalidModelException($"Pad '{node.DisplayName()}' takes its axes from a tensor computed at run time.");
        var full = new long[2 * rank];
        for (var i = 0; i < axes.Length; i++)
        {
            var axis = axes[i] < 0 ? axes[i] + rank : axes[i];
            full[axis] = pads[i];
            full[axis + rank] = pads[i + axes.Length];
        }
        return full;
    }

    private static long[] Pad(NodeProto node, Context c)
    {
        var x = c.Shape(node, 0);
        var pads = PadAmounts(node, x.Length, c.Values);
        return [.. x.Select((d, i) => d < 0 ? d : checked(d + pads[i] + pads[i + x.Length]))];
    }

    private static void Concat(NodeProto node, Context c)
    {
        var inputs = node.Input.Select((_, i) => c.Shape(node, i)).ToList();
        var rank = inputs[0].Length;
        var axis = (int)Axis(node, node.IntAttribute("axis", 0), rank);
        if (inputs.Any(s => s.Length != rank))
            throw new InvalidModelException($"Concat '{node.DisplayName()}' joins tensors of different ranks.");
        var result = inputs[0].ToArray();
        result[axis] = inputs.Any(s => s[axis] < 0) ? -1 : inputs.Sum(s => s[axis]);
        var values = node.Input.Select((_, i) => c.Value(node, i)).ToList();
        c.Set(node, result, rank == 1 && values.All(v => v is not null) ? [.. values.SelectMany(v => v!)] : null);
    }

    private static void Shape(NodeProto node, Context c)
    {
        var x = c.Shape(node, 0);
        var start = (int)Clamp(node.IntAttribute("start", 0), x.Length);
        var end = (int)Clamp(node.IntAttribute("end", x.Length), x.Length);
        var dims = x[start..Math.Max(start, end)];
        c.Set(node, [dims.Length], [.. dims.Select(d => d < 0 ? TensorShapes.SymbolicValue : d)]);
    }

    private static long Clamp(long axis, int rank) => Math.Clamp(axis < 0 ? axis + rank : axis, 0, rank);

    private static void Gather(NodeProto node, Context c)
    {
        var data = c.Shape(node, 0);
        var indices = c.Shape(node, 1);
        var axis = (int)Axis(node, node.IntAttribute("axis", 0), data.Length);
        var shape = (long[])[.. data[..axis], .. indices, .. data[(axis + 1)..]];
        long[]? value = null;
        if (data.Length == 1 && c.Value(node, 0) is { } source && c.Value(node, 1) is { } picks)
            value = [.. picks.Select(p => source[p < 0 ? p + source.Length : p])];
        c.Set(node, shape, value);
    }

    /// <summary>Axes of Unsqueeze/Squeeze: the attribute before opset 13, the second input after.</summary>
    public static long[]? SqueezeAxes(NodeProto node, IReadOnlyDictionary<string, long[]> values) =>
        node.IntsAttribute("axes") ?? (node.InputOrEmpty(1) == "" ? null : values.GetValueOrDefault(node.Input[1])
            ?? throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' takes its axes from a tensor computed at run time."));

    private static void Unsqueeze(NodeProto node, Context c)
    {
        var x = c.Shape(node, 0);
        var axes = SqueezeAxes(node, c.Values) ?? throw new InvalidModelException($"Unsqueeze '{node.DisplayName()}' has no axes.");
        var rank = x.Length + axes.Length;
        var inserted = axes.Select(a => Axis(node, a, rank)).ToHashSet();
        var result = new long[rank];
        var next = 0;
        for (var i = 0; i < rank; i++)
            result[i] = inserted.Contains(i) ? 1 : x[next++];
        c.Set(node, result, c.Value(node, 0));
    }

    private static void Squeeze(NodeProto node, Context c)
    {
        var x = c.Shape(node, 0);
        var axes = SqueezeAxes(node, c.Values)?.Select(a => Axis(node, a, x.Length)).ToHashSet()
            ?? [.. Enumerable.Range(0, x.Length).Where(i => x[i] == 1).Select(i => (long)i)];
        c.Set(node, [.. x.Where((_, i) => !axes.Contains(i))], c.Value(node, 0));
    }

    /// <summary>Normalizes a possibly negative axis against a rank, refusing one out of range.</summary>
    public static long Axis(NodeProto node, long axis, int rank)
    {
        var normalized = axis < 0 ? axis + rank : axis;
        return normalized >= 0 && normalized < Math.Max(rank, 1)
            ? normalized
            : throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' has axis {axis}, outside its rank {rank}.");
    }

    private static void RequireSpatial(NodeProto node, long[] x)
    {
        if (x.Length < 3)
            throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' needs an N×C×spatial input, got rank {x.Length}.");
    }

    private static void RequireEqual(NodeProto node, long a, long b, string what)
    {
        if (a >= 0 && b >= 0 && a != b)
            throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' has mismatched {what}: {a} and {b}.");
    }

    private static long[] Ones(int count) => [.. Enumerable.Repeat(1L, count)];
}
