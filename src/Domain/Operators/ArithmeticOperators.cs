using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>Binary operators with numpy-style broadcasting (Min and Max with two inputs, Mod); on small integer values they do shape arithmetic.</summary>
internal static class ArithmeticOperators
{
    public static IEnumerable<OperatorFacts> All =>
    [
        Binary("Add", (x, y) => checked(x + y)),
        Binary("Sub", (x, y) => checked(x - y)),
        Binary("Mul", (x, y) => checked(x * y)),
        Binary("Div", (x, y) => x / y),
        Binary("Min", Math.Min),
        Binary("Max", Math.Max),
        new("Mod", (node, c) => Shape(node, c, node.IntAttribute("fmod", 0) != 0 ? (x, y) => x % y : FloorMod), Broadcasting, followsHeads: true),
        new("PRelu", (node, c) => c.Set(node, ShapeInference.Broadcast(c.Shape(node, 0), c.Shape(node, 1))), Broadcasting),
        new("Pow", (node, c) => c.Set(node, ShapeInference.Broadcast(c.Shape(node, 0), c.Shape(node, 1))), PowChannels, constantInputs: [1]),
    ];

    /// <summary>A constant scalar exponent (a norm's square) acts element by element; any other exponent holds the channels.</summary>
    private static void PowChannels(NodeProto node, ChannelGroupAnalysis.Walk walk)
    {
        if (walk.Layout(node.Input[0]) is { } x && !walk.IsTracked(node.Input[1]) && walk.Shapes[node.Input[1]].All(d => d == 1))
            ChannelRules.PassElementwise(node, walk, x);
        else
            walk.Opaque(node, $"Pow '{node.DisplayName()}' raises the channels to a per-channel or computed exponent");
    }

    /// <summary>Mod with fmod = 0 (what PyTorch's % exports): the remainder takes the divisor's sign, as in Python.</summary>
    private static long FloorMod(long x, long y) => ((x % y) + y) % y;

    private static OperatorFacts Binary(string name, Func<long, long, long> onValues) =>
        new(name, (node, c) => Shape(node, c, onValues), Broadcasting, followsHeads: true);

    private static void Shape(NodeProto node, ShapeContext c, Func<long, long, long> onValues)
    {
        if (node.Input.Count != 2)
            throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' has {node.Input.Count} inputs; Shears supports it with two.");
        var shape = ShapeInference.Broadcast(c.Shape(node, 0), c.Shape(node, 1));
        long[]? value = null;
        if (c.Value(node, 0) is { } x && c.Value(node, 1) is { } y && (x.Length == y.Length || x.Length == 1 || y.Length == 1))
        {
            var count = Math.Max(x.Length, y.Length);
            value = new long[count];
            for (var i = 0; i < count; i++)
            {
                var (a, b) = (x[x.Length == 1 ? 0 : i], y[y.Length == 1 ? 0 : i]);
                value[i] = a == TensorShapes.SymbolicValue || b == TensorShapes.SymbolicValue ? TensorShapes.SymbolicValue : onValues(a, b);
            }
        }
        c.Set(node, shape, value);
    }

    /// <summary>
    /// The one output axis whose channels every other tracked operand is broadcast across (size 1 there: a [N, T, 1] mask
    /// scaling [N, T, D] embeddings alike in every channel), or null. Those operands' own channels end here, so they are held.
    /// </summary>
    private static int? BroadcastAcross(NodeProto node, ChannelGroupAnalysis.Walk walk, List<string> tracked, List<int> axes)
    {
        var outputRank = walk.Rank(node.Output[0]);
        bool IsOne(string operand, int axis) => axis - (outputRank - walk.Rank(operand)) is var at && (at < 0 || walk.Shapes[operand][at] == 1);
        int AxisOf(string operand) => walk.Layout(operand)!.Axis + outputRank - walk.Rank(operand);
        // An axis of size 1 carries no channels to scale (a token length pinned to 1 at upload would fit both ways).
        var fitting = axes.Where(a => walk.Shapes[node.Output[0]][a] != 1 && tracked.All(t => AxisOf(t) == a || IsOne(t, a))).ToList();
        if (fitting.Count != 1)
            return null;
        foreach (var operand in tracked.Where(t => AxisOf(t) != fitting[0]))
            walk.Hold(walk.Layout(operand)!, operand, $"{node.OpType} '{node.DisplayName()}' applies it alike to every channel of another operand");
        return fitting[0];
    }

    /// <summary>Tracked inputs must carry the same channels on the same output axis; they merge into one group.</summary>
    public static void Broadcasting(NodeProto node, ChannelGroupAnalysis.Walk walk)
    {
        var shapes = walk.Shapes;
        var output = shapes[node.Output[0]];
        var tracked = node.Input.Where(walk.IsTracked).Distinct().ToList();
        if (tracked.Any(t => walk.Layout(t)!.Spread))
        {
            if (!HeadRules.Broadcast(node, walk))
                walk.Opaque(node, $"{node.OpType} '{node.DisplayName()}' combines attention heads with tensors that do not line up with them");
            return;
        }
        var axes = tracked.Select(t => walk.Layout(t)!.Axis + output.Length - walk.Rank(t)).Distinct().ToList();
        if (axes.Count > 1 && BroadcastAcross(node, walk, tracked, axes) is { } channelAxis)
        {
            tracked = [.. tracked.Where(t => walk.Layout(t)!.Axis + output.Length - walk.Rank(t) == channelAxis)];
            axes = [channelAxis];
        }
        var layouts = tracked.Select(t => walk.Layout(t)!).ToList();
        if (axes.Count != 1 || tracked.Where((t, i) => shapes[t][layouts[i].Axis] != output[axes[0]]).Any() || !walk.Align(layouts))
        {
            walk.Opaque(node, $"{node.OpType} '{node.DisplayName()}' combines tensors whose channels do not line up");
            return;
        }
        var axis = axes[0];
        var x = layouts[0];
        foreach (var operand in node.Input.Where(i => !walk.IsTracked(i)))
        {
            var operandAxis = axis - (output.Length - walk.Rank(operand));
            if (operandAxis < 0 || shapes[operand][operandAxis] == 1)
                continue;
            if (!walk.IsFloatInitializer(operand))
            {
                walk.Opaque(node, $"{node.OpType} '{node.DisplayName()}' mixes in '{operand}', computed per channel at run time");
                return;
            }
            walk.PassThrough(x, [(operand, operandAxis)]);
        }
        walk.SetLayout(node.Output[0], x.Block == 1 ? x.GatedAt(node.Output[0], axis) : x with { Axis = axis, GateTensor = null });
    }
}
