using Onnx;

namespace Shears.Domain.Onnx;

/// <summary>
/// Inputs whose dimensions after the batch are dynamic (a sequence length T in [N, T] token ids). Shapes, costs and
/// channel groups are worked out on a static graph, so such dimensions are pinned: at a job to the dataset's sample
/// shape, at upload to 1 (the inspection's FLOPs are then per unit of that dimension). The network handed back keeps its
/// inputs and outputs as declared (<see cref="Restore"/>), so it stays dynamic.
/// </summary>
public static class SampleDimensions
{
    /// <summary>True when some input declares a dimension after the batch without a fixed size.</summary>
    public static bool AnyDynamic(OnnxGraph graph) => graph.Inputs.Any(i => i.Shape.Skip(1).Any(d => d <= 0));

    /// <summary>
    /// The graph with each input's dynamic dimensions after the batch set from <paramref name="sampleShape"/>, which gives
    /// the per-sample shape of an input by name (null: size 1 for every dynamic dimension).
    /// </summary>
    public static OnnxGraph Pin(OnnxGraph graph, Func<string, IReadOnlyList<int>?> sampleShape)
    {
        if (!AnyDynamic(graph))
            return graph;
        var model = graph.Model.Clone();
        foreach (var input in model.Graph.Input.Where(i => graph.Inputs.Any(d => d.Name == i.Name)))
        {
            var dims = input.Type?.TensorType?.Shape?.Dim;
            if (dims is null)
                continue;
            var sample = sampleShape(input.Name);
            for (var d = 1; d < dims.Count; d++)
            {
                if (dims[d].HasDimValue && dims[d].DimValue > 0)
                    continue;
                var size = sample is not null && sample.Count == dims.Count - 1 ? sample[d - 1] : 1;
                dims[d] = new TensorShapeProto.Types.Dimension { DimValue = size };
            }
        }
        model.Graph.ValueInfo.Clear(); // shapes recorded for the dynamic graph; inference recomputes them
        return OnnxGraph.FromModel(model);
    }

    /// <summary>Gives <paramref name="pruned"/> the inputs' and outputs' declared dimensions of <paramref name="original"/> (by name), undoing <see cref="Pin"/>.</summary>
    public static void Restore(ModelProto pruned, ModelProto original)
    {
        var declared = original.Graph.Input.Concat(original.Graph.Output).GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.First());
        foreach (var value in pruned.Graph.Input.Concat(pruned.Graph.Output))
        {
            if (declared.TryGetValue(value.Name, out var source) && source.Type?.TensorType?.Shape is { } shape
                && value.Type?.TensorType?.Shape is { } prunedShape && prunedShape.Dim.Count == shape.Dim.Count)
            {
                for (var d = 0; d < shape.Dim.Count; d++)
                    if (!(shape.Dim[d].HasDimValue && shape.Dim[d].DimValue > 0))
                        prunedShape.Dim[d] = shape.Dim[d].Clone();
            }
        }
        pruned.Graph.ValueInfo.Clear();
    }
}
