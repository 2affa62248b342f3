using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>
/// GRU, executed and held fixed: what it reads and writes keeps its width, so the layers around it
/// (a convolutional front end, the classifier after it) still prune. Forward direction, default
/// activations, no clip, no sequence lengths, time-major layout: what torch.nn.GRU exports.
/// </summary>
public static class RecurrentOperators
{
    internal static IEnumerable<OperatorFacts> All =>
    [
        new("GRU", GruShape, (node, walk) => walk.Opaque(node, $"GRU '{node.DisplayName()}' is held fixed (Shears does not prune recurrent layers)"), GruCost, constantInputs: [4]),
    ];

    /// <summary>Refuses the GRU variants the engine does not compute; returns the hidden size.</summary>
    public static long CheckGru(NodeProto node)
    {
        var direction = node.StringAttribute("direction", "forward");
        var activations = node.Attribute.FirstOrDefault(a => a.Name == "activations")?.Strings.Select(s => s.ToStringUtf8()).ToList();
        if (direction != "forward" || node.Has("clip") || node.IntAttribute("layout", 0) != 0 || node.InputOrEmpty(4) != ""
            || (activations is not null && !activations.SequenceEqual(["Sigmoid", "Tanh"])))
            throw new InvalidModelException($"GRU '{node.DisplayName()}' is {direction} with layout {node.IntAttribute("layout", 0)}{(node.Has("clip") ? ", clip" : "")}{(node.InputOrEmpty(4) != "" ? ", sequence lengths" : "")}{(activations is null ? "" : $", activations {string.Join("/", activations)}")}; Shears runs forward GRUs with the default activations, as torch.nn.GRU exports them.");
        return node.IntAttribute("hidden_size", 0);
    }

    private static void GruShape(NodeProto node, ShapeContext c)
    {
        var hidden = CheckGru(node);
        var x = c.Shape(node, 0);
        if (x.Length != 3 || hidden <= 0)
            throw new InvalidModelException($"GRU '{node.DisplayName()}' needs a [time, batch, features] input and a hidden_size.");
        c.SetOutput(node, 0, [x[0], 1, x[1], hidden]);
        c.SetOutput(node, 1, [1, x[1], hidden]);
    }

    /// <summary>2 × (input and recurrent weights) × time steps per example.</summary>
    internal static FlopCount GruCost(NodeProto node, OnnxGraph graph)
    {
        var steps = Math.Max(1, graph.Shapes[node.Input[0]][0]);
        var weights = TensorShapes.ElementsPerExample(graph.Shapes[node.Input[1]]) + TensorShapes.ElementsPerExample(graph.Shapes[node.Input[2]]);
        return FlopCount.Constant(checked(2 * steps * weights));
    }
}
