using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>Gemm and MatMul: the fully connected layers (and attention's products between activations).</summary>
internal static class LinearOperators
{
    public static IEnumerable<OperatorFacts> All =>
    [
        new("Gemm", GemmShape, ChannelRules.OnFirstInput(GemmChannels), GemmCost),
        new("MatMul", (node, c) => c.Set(node, MatMulShape(node, c.Shape(node, 0), c.Shape(node, 1))), MatMulChannels, MatMulCost, followsHeads: true),
    ];

    private static void GemmShape(NodeProto node, ShapeContext c)
    {
        var a = c.Shape(node, 0);
        var b = c.Shape(node, 1);
        if (a.Length != 2 || b.Length != 2)
            throw new InvalidModelException($"Gemm '{node.DisplayName()}' needs 2-D inputs, got [{string.Join(",", a)}] and [{string.Join(",", b)}].");
        var (m, k) = node.IntAttribute("transA", 0) != 0 ? (a[1], a[0]) : (a[0], a[1]);
        var (k2, n) = node.IntAttribute("transB", 0) != 0 ? (b[1], b[0]) : (b[0], b[1]);
        ShapeInference.RequireEqual(node, k, k2, "inner dimensions");
        c.Set(node, [m, n]);
    }

    private static void GemmChannels(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        var weight = node.InputOrEmpty(1);
        var transB = node.IntAttribute("transB", 0) != 0;
        if (node.IntAttribute("transA", 0) != 0 || !walk.IsFloatInitializer(weight) || !walk.BiasIsSliceable(node.InputOrEmpty(2)))
        {
            walk.Opaque(node, $"Gemm '{node.DisplayName()}' reads its features in a layout or from weights Shears cannot slice");
            return;
        }
        if (x.Axis == 1 && !x.Spread)
            walk.Consume(x, node.Input[0], weight, transB ? 1 : 0, node.Output[0]);
        else // what it reads carries tracked channels on the batch axis (a state picked out of a held GRU): held, its own units still prune
            walk.Hold(x, node.Input[0], $"Gemm '{node.DisplayName()}' does not read these channels on its feature axis");
        var bias = node.InputOrEmpty(2);
        var biasAxis = bias != "" && walk.Dims(bias).Length == 2 ? 1 : 0;
        walk.Produce(node, [(weight, transB ? 0 : 1), (bias, biasAxis)], walk.Shapes[node.Output[0]][1]);
    }

    /// <summary>2 × (weight elements) × rows, so pruning only has to shrink the weight; fixed when the weight is computed.</summary>
    private static FlopCount GemmCost(NodeProto node, OnnxGraph graph)
    {
        var output = graph.Shapes[node.Output[0]];
        if (graph.Initializers.ContainsKey(node.Input[1]))
            return FlopCount.OfWeight(node.Input[1], TensorShapes.ElementsPerExample(output[..^1]), outputAxis: node.IntAttribute("transB", 0) != 0 ? 0 : 1);
        var a = graph.Shapes[node.Input[0]];
        var inner = node.IntAttribute("transA", 0) != 0 ? a[0] : a[1];
        return FlopCount.Constant(checked(2 * TensorShapes.ElementsPerExample(output) * Math.Max(inner, 1)));
    }

    public static long[] MatMulShape(NodeProto node, long[] a, long[] b)
    {
        if (a.Length == 0 || b.Length == 0)
            throw new InvalidModelException($"MatMul '{node.DisplayName()}' has a scalar input.");
        var left = a.Length == 1 ? [1, a[0]] : a;
        var right = b.Length == 1 ? [b[0], 1] : b;
        ShapeInference.RequireEqual(node, left[^1], right[^2], "inner dimensions");
        var batch = ShapeInference.Broadcast(left[..^2], right[..^2]);
        var result = new List<long>(batch);
        if (a.Length > 1) result.Add(left[^2]);
        if (b.Length > 1) result.Add(right[^1]);
        return [.. result];
    }

    /// <summary>A MatMul with a 2-D weight is a linear layer on the last axis; between activations it is opaque.</summary>
    private static void MatMulChannels(NodeProto node, ChannelGroupAnalysis.Walk walk)
    {
        var weight = node.InputOrEmpty(1);
        if (walk.Layout(node.Input[0]) is not { } x || !walk.IsFloatInitializer(weight))
        {
            if (!HeadRules.MatMulOfActivations(node, walk))
                ChannelRules.Opaque(node, walk);
            return;
        }
        var output = node.Output[0];
        if (walk.Dims(weight).Length != 2)
        {
            walk.Opaque(node, $"MatMul '{node.DisplayName()}' multiplies by a weight of rank {walk.Dims(weight).Length}");
            return;
        }
        if (x.Spread || x.Axis != walk.Rank(node.Input[0]) - 1)
        {
            // Its input's tracked axis is not the one it mixes (a residual stream some earlier node left on the tokens'
            // axis): that axis is held, and the layer still makes new features on the last axis.
            walk.Hold(x, node.Input[0], $"MatMul '{node.DisplayName()}' does not read these channels on the last axis");
            walk.Produce(node, [(weight, 1)], walk.Shapes[output][^1], walk.Rank(output) - 1);
            return;
        }
        walk.Consume(x, node.Input[0], weight, 0, node.Output[0]);
        walk.Produce(node, [(weight, 1)], walk.Shapes[output][^1], walk.Rank(output) - 1);
    }

    /// <summary>With a 2-D weight, 2 × weight × rows; between activations (attention scores), 2 × output × inner dimension.</summary>
    private static FlopCount MatMulCost(NodeProto node, OnnxGraph graph)
    {
        var output = graph.Shapes[node.Output[0]];
        var weight = graph.Shapes[node.Input[1]];
        if (graph.Initializers.ContainsKey(node.Input[1]) && weight.Length == 2 && output.Length >= 1)
            return FlopCount.OfWeight(node.Input[1], TensorShapes.ElementsPerExample(output[..^1]), outputAxis: 1);
        var inner = graph.Shapes[node.Input[0]][^1];
        return FlopCount.Constant(checked(2 * TensorShapes.ElementsPerExample(output) * Math.Max(inner, 1)));
    }
}
