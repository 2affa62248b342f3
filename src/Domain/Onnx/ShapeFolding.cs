using Onnx;

namespace Shears.Domain.Onnx;

/// <summary>
/// Replaces shape arithmetic whose result is known statically (F.pad's ConstantOfShape → Slice →
/// Transpose chain, constant Reshape targets…) by int64 initializers and drops the nodes nothing
/// reads any more, so an executor only meets the operators that compute with activations.
/// Arithmetic that depends on the batch size (x.view(x.size(0), -1)) stays.
/// </summary>
public static class ShapeFolding
{
    public static OnnxGraph Fold(OnnxGraph graph)
    {
        var shapes = graph.Shapes;
        var model = graph.Model.Clone();
        var folded = model.Graph.Node
            .Where(n => n.OpType != "Constant" && n.Output.Count == 1 && shapes.IsStaticInt64(n.Output[0]))
            .ToList();
        if (folded.Count == 0)
            return graph;
        foreach (var node in folded)
        {
            model.Graph.Node.Remove(node);
            model.Graph.Initializer.Add(OnnxTensors.FromInt64s(node.Output[0], shapes[node.Output[0]], shapes.Values[node.Output[0]]));
        }
        GraphCleanup.RemoveUnused(model.Graph);
        return OnnxGraph.FromModel(model);
    }
}
