using Onnx;
using Shears.Domain.Onnx;
using Shears.Domain.Operators;

namespace Shears.Worker.Engine.Graph;

/// <summary>
/// Operators that exporters before opset 17 and 20 write out node by node, recognised so the engine runs each as the one
/// operator it is, by that operator's kernel: LayerNormalization (ReduceMean, Sub, Pow 2, ReduceMean, Add ε, Sqrt, Div, then
/// Mul by a scale and Add of a bias over the last axis) and exact Gelu (Div by √2 or Mul by 1/√2, Erf, Add 1, Mul by x,
/// Mul by ½). libtorch then computes each in one pass forward and one backward instead of a dozen elementwise ones (a
/// training step of the zoo's vit spent more time in its five written-out LayerNorms than in all its matrix products).
/// Only the executed program changes: the analysis, surgery and the module's probe see the nodes as exported. A pattern
/// stays unfused when a tensor inside it is read outside it, or when one of its constants (ε, √2, ½) is a graph initializer
/// that training would update as a parameter, so the fused module computes and trains exactly what the nodes do.
/// </summary>
internal static class KernelFusion
{
    /// <summary>A fused operator node standing for <see cref="Replaced"/> (in graph order; the last computes its output).</summary>
    public sealed record Fusion(NodeProto Node, IReadOnlyList<NodeProto> Replaced);

    public static IReadOnlyList<Fusion> Find(OnnxGraph graph)
    {
        var roles = InitializerRoles.Of(graph);
        var fusions = new List<Fusion>();
        foreach (var node in graph.Nodes)
        {
            var fusion = node.OpType switch
            {
                "ReduceMean" => LayerNormalization(graph, roles, node),
                "Erf" => Gelu(graph, roles, node),
                _ => null,
            };
            if (fusion is not null)
                fusions.Add(fusion);
        }
        return fusions;
    }

    private static Fusion? LayerNormalization(OnnxGraph graph, IReadOnlyDictionary<string, InitializerRole> roles, NodeProto mean)
    {
        var x = mean.Input[0];
        if (!ReducesLastAxis(graph, mean, x)
            || SoleReader(graph, mean.Output[0]) is not { OpType: "Sub" } sub || sub.Input[0] != x || sub.Input[1] != mean.Output[0])
            return null;
        var centred = sub.Output[0];
        var readers = graph.ReadersOf(centred);
        if (readers.Count != 2 || graph.IsOutput(centred)
            || readers.FirstOrDefault(r => r.OpType == "Pow") is not { } pow || pow.Input[0] != centred || Constant(graph, roles, pow.Input[1]) != 2f
            || readers.FirstOrDefault(r => r.OpType == "Div") is not { } div || div.Input[0] != centred
            || SoleReader(graph, pow.Output[0]) is not { OpType: "ReduceMean" } variance || !ReducesLastAxis(graph, variance, pow.Output[0])
            || SoleReader(graph, variance.Output[0]) is not { OpType: "Add" } addEpsilon || OtherOperand(addEpsilon, variance.Output[0]) is not { } epsilonName
            || Constant(graph, roles, epsilonName) is not { } epsilon
            || SoleReader(graph, addEpsilon.Output[0]) is not { OpType: "Sqrt" } sqrt
            || SoleReader(graph, sqrt.Output[0]) != div || div.Input[1] != sqrt.Output[0])
            return null;

        List<NodeProto> replaced = [mean, sub, pow, variance, addEpsilon, sqrt, div];
        var width = ShapeOf(graph, x) is [.., var last] ? last : -1;
        string scale = "", bias = "";
        if (SoleReader(graph, div.Output[0]) is { OpType: "Mul" } mul && OtherOperand(mul, div.Output[0]) is { } s && IsVector(graph, s, width))
        {
            (scale, replaced) = (s, [.. replaced, mul]);
            if (SoleReader(graph, mul.Output[0]) is { OpType: "Add" } add && OtherOperand(add, mul.Output[0]) is { } b && IsVector(graph, b, width))
                (bias, replaced) = (b, [.. replaced, add]);
        }
        var node = Fused("LayerNormalization", replaced[^1], [x, scale, bias]);
        node.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = -1 });
        node.Attribute.Add(new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = epsilon });
        return new Fusion(node, replaced);
    }

    private static Fusion? Gelu(OnnxGraph graph, IReadOnlyDictionary<string, InitializerRole> roles, NodeProto erf)
    {
        var scaled = erf.Input[0];
        if (graph.Nodes.FirstOrDefault(n => n.Output.Contains(scaled)) is not { } scaling || SoleReader(graph, scaled) != erf)
            return null;
        // Div(x, √2) or Mul(x, 1/√2), the constant on either side of the Mul.
        var (x, factor) = scaling.OpType switch
        {
            "Div" when scaling.Input.Count == 2 => (scaling.Input[0], Constant(graph, roles, scaling.Input[1]) is { } d ? d * d : (float?)null),
            "Mul" when scaling.Input.Count == 2 && Constant(graph, roles, scaling.Input[1]) is { } m => (scaling.Input[0], 1 / (m * m)),
            "Mul" when scaling.Input.Count == 2 && Constant(graph, roles, scaling.Input[0]) is { } m => (scaling.Input[1], 1 / (m * m)),
            _ => ("", null),
        };
        var scalesByInverseSqrt2 = factor is { } squared && Math.Abs(squared - 2f) < 1e-5f;
        if (!scalesByInverseSqrt2
            || SoleReader(graph, erf.Output[0]) is not { OpType: "Add" } addOne || OtherOperand(addOne, erf.Output[0]) is not { } one || Constant(graph, roles, one) != 1f
            || SoleReader(graph, addOne.Output[0]) is not { OpType: "Mul" } timesX || OtherOperand(timesX, addOne.Output[0]) != x
            || SoleReader(graph, timesX.Output[0]) is not { OpType: "Mul" } half || OtherOperand(half, timesX.Output[0]) is not { } h || Constant(graph, roles, h) != 0.5f)
            return null;
        return new Fusion(Fused("Gelu", half, [x]), [scaling, erf, addOne, timesX, half]);
    }

    /// <summary>A node of <paramref name="op"/> writing <paramref name="last"/>'s output, named after it.</summary>
    private static NodeProto Fused(string op, NodeProto last, string[] inputs)
    {
        var node = new NodeProto { OpType = op, Name = $"{last.Name} (fused {op})" };
        node.Input.AddRange(inputs);
        node.Output.Add(last.Output[0]);
        return node;
    }

    /// <summary>The one node reading <paramref name="tensor"/>, when it is not also a graph output.</summary>
    private static NodeProto? SoleReader(OnnxGraph graph, string tensor) =>
        graph.ReadersOf(tensor) is [var only] && !graph.IsOutput(tensor) ? only : null;

    /// <summary>The other input of a two-input node, one of whose inputs is <paramref name="tensor"/>.</summary>
    private static string? OtherOperand(NodeProto node, string tensor) =>
        node.Input.Count != 2 ? null : node.Input[0] == tensor ? node.Input[1] : node.Input[1] == tensor ? node.Input[0] : null;

    /// <summary>The value of a one-element float constant that training leaves alone (a Constant node's, or an initializer read only as a constant).</summary>
    private static float? Constant(OnnxGraph graph, IReadOnlyDictionary<string, InitializerRole> roles, string tensor) =>
        graph.Initializers.TryGetValue(tensor, out var t) && OnnxTensors.ElementCount(t) == 1 && t.DataType == (int)TensorProto.Types.DataType.Float
        && !(graph.IsGraphInitializer(tensor) && roles.GetValueOrDefault(tensor) == InitializerRole.Parameter)
            ? OnnxTensors.ToFloats(t)[0] : null;

    /// <summary>A float initializer of shape [width] (a LayerNorm's scale or bias over the last axis).</summary>
    private static bool IsVector(OnnxGraph graph, string tensor, long width) =>
        width > 0 && graph.Initializers.TryGetValue(tensor, out var t) && t.DataType == (int)TensorProto.Types.DataType.Float && t.Dims is [var d] && d == width;

    /// <summary>A ReduceMean over the last axis alone, keeping it (axes as attribute, or as a constant input from opset 18).</summary>
    private static bool ReducesLastAxis(OnnxGraph graph, NodeProto reduce, string input)
    {
        if (reduce.IntAttribute("keepdims", 1) == 0)
            return false;
        var axes = reduce.IntsAttribute("axes")
            ?? (reduce.Input.Count > 1 && graph.Initializers.TryGetValue(reduce.Input[1], out var given) ? OnnxTensors.ToInt64s(given) : null);
        return axes is [var axis] && (axis == -1 || (ShapeOf(graph, input) is { Length: > 0 } shape && axis == shape.Length - 1));
    }

    /// <summary>The tensor's inferred shape; null when the graph's shapes cannot be inferred (lengths not yet pinned).</summary>
    private static long[]? ShapeOf(OnnxGraph graph, string tensor)
    {
        try
        {
            return graph.Shapes.All.GetValueOrDefault(tensor);
        }
        catch (Domain.Graph.InvalidModelException)
        {
            return null;
        }
    }
}
