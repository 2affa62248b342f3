using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>
/// ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceL1, ReduceL2, ReduceSumSquare: global pooling written as a reduction over the spatial or time axes
/// (channels pass), or a norm's statistics over the channels (the channels are held: a statistic over all
/// of them changes when one goes; F.normalize's ReduceL2 over an embedding's width is such a statistic).
/// </summary>
internal static class ReductionOperators
{
    public static IEnumerable<OperatorFacts> All =>
    [
        Reduction("ReduceMean"),
        Reduction("ReduceSum"),
        Reduction("ReduceMax"),
        Reduction("ReduceMin"),
        Reduction("ReduceL1"),
        Reduction("ReduceL2"),
        Reduction("ReduceSumSquare"),
    ];

    private static OperatorFacts Reduction(string name) =>
        new(name, Shape, ChannelRules.OnFirstInput(Channels), constantInputs: [1]);

    /// <summary>
    /// The reduced axes, normalized: the attribute (ReduceMean/ReduceMax before opset 18), else the constant
    /// second input (ReduceSum from opset 13); none given reduces every axis unless noop_with_empty_axes.
    /// </summary>
    public static HashSet<long> Axes(NodeProto node, int rank, IReadOnlyDictionary<string, long[]> values)
    {
        var axes = node.IntsAttribute("axes");
        if (axes is null && node.InputOrEmpty(1) != "")
            axes = values.GetValueOrDefault(node.Input[1])
                ?? throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' takes its axes from a tensor computed at run time; Shears needs them constant.");
        if (axes is null || axes.Length == 0)
            return node.IntAttribute("noop_with_empty_axes", 0) != 0 ? [] : [.. Enumerable.Range(0, rank).Select(i => (long)i)];
        return [.. axes.Select(a => ShapeInference.Axis(node, a, rank))];
    }

    private static void Shape(NodeProto node, ShapeContext c)
    {
        var x = c.Shape(node, 0);
        var axes = Axes(node, x.Length, c.Values);
        var keep = node.IntAttribute("keepdims", 1) != 0;
        c.Set(node, [.. x.Select((d, i) => (d, i)).Where(p => keep || !axes.Contains(p.i)).Select(p => axes.Contains(p.i) ? 1 : p.d)]);
    }

    private static void Channels(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        var axes = Axes(node, walk.Rank(node.Input[0]), walk.Shapes.Values);
        if (axes.Contains(x.Axis) || x.Block != 1)
        {
            // The output carries no channels: what reads it (a norm's Sub/Div) sees a per-position statistic.
            walk.Hold(x, node.Input[0], $"{node.OpType} '{node.DisplayName()}' reduces over its channels (a norm's statistics over the whole width)");
            return;
        }
        var axis = node.IntAttribute("keepdims", 1) != 0 ? x.Axis : x.Axis - axes.Count(a => a < x.Axis);
        walk.SetLayout(node.Output[0], x.GatedAt(node.Output[0], axis));
    }
}
