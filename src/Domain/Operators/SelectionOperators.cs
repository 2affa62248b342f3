using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>
/// Equal (and the other comparisons and logical operators), Where, Expand, Trilu and ScatterND: mostly shape arithmetic in exports (ViT's class token: the batch size picked by
/// Where(Equal(shape, -1), 1, shape), then Expand; a T5 relative-position bucket from Range, Less and Where), evaluated statically
/// where known; on activations they hold what they touch,
/// except Expand, which copies channels along other axes, and Where, which passes them as Add does.
/// </summary>
internal static class SelectionOperators
{
    public static IEnumerable<OperatorFacts> All =>
    [
        new("Equal", (node, c) => ComparisonShape(node, c, AreEqual), ChannelRules.Opaque),
        new("Greater", (node, c) => ComparisonShape(node, c, (a, b) => Known(a, b, a > b)), ChannelRules.Opaque),
        new("Less", (node, c) => ComparisonShape(node, c, (a, b) => Known(a, b, a < b)), ChannelRules.Opaque),
        new("GreaterOrEqual", (node, c) => ComparisonShape(node, c, (a, b) => Known(a, b, a >= b)), ChannelRules.Opaque),
        new("LessOrEqual", (node, c) => ComparisonShape(node, c, (a, b) => Known(a, b, a <= b)), ChannelRules.Opaque),
        new("And", (node, c) => ComparisonShape(node, c, (a, b) => Known(a, b, a != 0 && b != 0)), ChannelRules.Opaque),
        new("Or", (node, c) => ComparisonShape(node, c, (a, b) => Known(a, b, a != 0 || b != 0)), ChannelRules.Opaque),
        new("Where", WhereShape, WhereChannels, followsHeads: true),
        new("Expand", ExpandShape, ChannelRules.OnFirstInput(ExpandChannels), constantInputs: [1]),
        new("Trilu", TriluShape, ChannelRules.Opaque, constantInputs: [1]),
        new("ScatterND", ScatterNDShape, ChannelRules.Opaque, constantInputs: [0, 2]),
    ];

    /// <summary>
    /// ScatterND writes updates into a copy of data at index tuples (a slice assignment, x[:, :k] = y, or Swin's
    /// attention mask filled region by region); only plain writes, not the opset 16 reductions.
    /// </summary>
    private static void ScatterNDShape(NodeProto node, ShapeContext c)
    {
        var reduction = node.StringAttribute("reduction", "none");
        if (reduction != "none")
            throw new InvalidModelException($"ScatterND '{node.DisplayName()}' combines with reduction '{reduction}'; Shears runs plain writes only.");
        var (data, indices) = (c.Shape(node, 0), c.Shape(node, 1));
        if (indices.Length == 0 || indices[^1] < 1 || indices[^1] > data.Length)
            throw new InvalidModelException($"ScatterND '{node.DisplayName()}' has indices of shape [{string.Join(", ", indices)}] for data of rank {data.Length}.");
        c.Set(node, data, isInt64: c.Values.ContainsKey(node.Input[0]) ? null : false);
    }

    /// <summary>Trilu keeps the upper (or lower) triangle of the last two axes: a causal attention mask.</summary>
    private static void TriluShape(NodeProto node, ShapeContext c)
    {
        var x = c.Shape(node, 0);
        if (x.Length < 2)
            throw new InvalidModelException($"Trilu '{node.DisplayName()}' needs a tensor of rank 2 or more; it has rank {x.Length}.");
        if (node.InputOrEmpty(1) != "")
            c.RequiredValue(node, 1, "diagonal offset k");
        c.Set(node, x, isInt64: c.Values.ContainsKey(node.Input[0]) ? null : false);
    }

    /// <summary>A symbolic dimension (the batch) is positive: never equal to 0 or −1, unknown against a positive number.</summary>
    private static long? AreEqual(long a, long b) =>
        (a == TensorShapes.SymbolicValue, b == TensorShapes.SymbolicValue) switch
        {
            (false, false) => a == b ? 1 : 0,
            (true, false) => b <= 0 ? 0 : null,
            (false, true) => a <= 0 ? 0 : null,
            _ => null,
        };

    /// <summary>1 or 0 for known values; unknown when either is symbolic.</summary>
    private static long? Known(long a, long b, bool result) =>
        a == TensorShapes.SymbolicValue || b == TensorShapes.SymbolicValue ? null : result ? 1 : 0;

    /// <summary>A broadcasting comparison (or logical operator) giving bools, evaluated on known integer values.</summary>
    private static void ComparisonShape(NodeProto node, ShapeContext c, Func<long, long, long?> compare)
    {
        var shape = ShapeInference.Broadcast(c.Shape(node, 0), c.Shape(node, 1));
        long[]? value = null;
        if (c.Value(node, 0) is { } a && c.Value(node, 1) is { } b && (a.Length == b.Length || a.Length == 1 || b.Length == 1))
        {
            var compared = Enumerable.Range(0, Math.Max(a.Length, b.Length)).Select(i => compare(a[a.Length == 1 ? 0 : i], b[b.Length == 1 ? 0 : i])).ToList();
            value = compared.All(v => v is not null) ? [.. compared.Select(v => v!.Value)] : null;
        }
        c.Set(node, shape, value, isInt64: false);
    }

    private static void WhereShape(NodeProto node, ShapeContext c)
    {
        var shape = ShapeInference.Broadcast(ShapeInference.Broadcast(c.Shape(node, 0), c.Shape(node, 1)), c.Shape(node, 2));
        long[]? value = null;
        if (c.Value(node, 0) is { } condition && c.Value(node, 1) is { } x && c.Value(node, 2) is { } y)
        {
            var count = new[] { condition.Length, x.Length, y.Length }.Max();
            if (new[] { condition, x, y }.All(v => v.Length == count || v.Length == 1))
                value = [.. Enumerable.Range(0, count).Select(i => condition[condition.Length == 1 ? 0 : i] != 0 ? x[x.Length == 1 ? 0 : i] : y[y.Length == 1 ? 0 : i])];
        }
        c.Set(node, shape, value, isInt64: c.Values.ContainsKey(node.Input[1]) ? null : false);
    }

    /// <summary>
    /// Where(condition, x, y) on channels (a causal mask over attention scores, masked_fill): like Add, the channels of x
    /// and y pass when the condition is the same for every channel (broadcast over the channel and head axes); a
    /// condition that differs per channel holds them.
    /// </summary>
    private static void WhereChannels(NodeProto node, ChannelGroupAnalysis.Walk walk)
    {
        if (node.Input.Skip(1).Any(walk.IsTracked))
            ArithmeticOperators.Broadcasting(node, walk);
        else
            ChannelRules.Opaque(node, walk);
    }

    private static void ExpandShape(NodeProto node, ShapeContext c)
    {
        var target = c.RequiredValue(node, 1, "target shape").Select(d => d == TensorShapes.SymbolicValue ? -1 : d).ToArray();
        c.Set(node, ShapeInference.Broadcast(c.Shape(node, 0), target));
    }

    private static void ExpandChannels(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        var input = walk.Shapes[node.Input[0]];
        var output = walk.Shapes[node.Output[0]];
        var axis = x.Axis + output.Length - input.Length;
        if (x.Block != 1 || output[axis] != input[x.Axis])
            walk.Opaque(node, $"Expand '{node.DisplayName()}' repeats the channels");
        else
            walk.SetLayout(node.Output[0], x.GatedAt(node.Output[0], axis));
    }
}
