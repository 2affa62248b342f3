using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>
/// GRU and LSTM, executed and held fixed: what they read and write keeps its width, so the layers around them
/// (an embedding or convolutional front end, the classifier after them) still prune. Forward, reverse or
/// bidirectional, default activations, no clip, no sequence lengths, no peepholes, time-major layout: what
/// torch.nn.GRU and torch.nn.LSTM export (batch_first adds a Transpose; several layers are several nodes).
/// </summary>
public static class RecurrentOperators
{
    internal static IEnumerable<OperatorFacts> All =>
    [
        Recurrent("GRU"),
        Recurrent("LSTM"),
    ];

    /// <summary>What a recurrent node computes: its hidden size and directions (1, or 2 when bidirectional).</summary>
    public sealed record RecurrentLayer(long Hidden, int Directions, bool Reverse);

    private static OperatorFacts Recurrent(string opType) =>
        new(opType, Shape, (node, walk) => walk.Opaque(node, $"{node.OpType} '{node.DisplayName()}' is held fixed (Shears does not prune recurrent layers)"),
            Cost, constantInputs: [4]);

    /// <summary>Refuses the variants the engine does not compute.</summary>
    public static RecurrentLayer Check(NodeProto node)
    {
        var direction = node.StringAttribute("direction", "forward");
        var directions = direction == "bidirectional" ? 2 : 1;
        string[] cell = node.OpType == "LSTM" ? ["Sigmoid", "Tanh", "Tanh"] : ["Sigmoid", "Tanh"];
        var activations = node.Attribute.FirstOrDefault(a => a.Name == "activations")?.Strings.Select(s => s.ToStringUtf8()).ToList();
        var defaultActivations = activations is null || activations.SequenceEqual(Enumerable.Repeat(cell, directions).SelectMany(a => a));
        var peepholes = node.OpType == "LSTM" && node.InputOrEmpty(7) != "";
        var coupledGates = node.IntAttribute("input_forget", 0) != 0;
        if (direction is not ("forward" or "reverse" or "bidirectional") || node.Has("clip") || node.IntAttribute("layout", 0) != 0
            || node.InputOrEmpty(4) != "" || !defaultActivations || peepholes || coupledGates)
            throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' is {direction} with layout {node.IntAttribute("layout", 0)}"
                + (node.Has("clip") ? ", clip" : "") + (node.InputOrEmpty(4) != "" ? ", sequence lengths" : "") + (peepholes ? ", peepholes" : "")
                + (coupledGates ? ", input_forget" : "") + (defaultActivations ? "" : $", activations {string.Join("/", activations!)}")
                + $"; Shears runs {node.OpType}s with the default activations, as torch.nn.{node.OpType} exports them.");
        return new RecurrentLayer(node.IntAttribute("hidden_size", 0), directions, direction == "reverse");
    }

    private static void Shape(NodeProto node, ShapeContext c)
    {
        var layer = Check(node);
        var x = c.Shape(node, 0);
        if (x.Length != 3 || layer.Hidden <= 0)
            throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' needs a [time, batch, features] input and a hidden_size.");
        c.SetOutput(node, 0, [x[0], layer.Directions, x[1], layer.Hidden]);
        for (var state = 1; state < node.Output.Count; state++)
            c.SetOutput(node, state, [layer.Directions, x[1], layer.Hidden]);
    }

    /// <summary>2 × (input and recurrent weights, every direction) × time steps per example.</summary>
    internal static FlopCount Cost(NodeProto node, OnnxGraph graph)
    {
        var steps = Math.Max(1, graph.Shapes[node.Input[0]][0]);
        var weights = TensorShapes.ElementsPerExample(graph.Shapes[node.Input[1]]) + TensorShapes.ElementsPerExample(graph.Shapes[node.Input[2]]);
        return FlopCount.Constant(checked(2 * steps * weights));
    }
}
