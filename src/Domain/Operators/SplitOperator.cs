using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>
/// Split: on the channel axis each output carries a consecutive range of its input's channels (YOLOv8's C2f
/// halves, a fused QKV projection), so a producer whose channels are cut apart becomes one group per part;
/// on another axis every output carries all the channels. Surgery rewrites the sizes (<see cref="SplitPart"/>).
/// </summary>
internal static class SplitOperator
{
    public static OperatorFacts Facts => new("Split", Shape, ChannelRules.OnFirstInput(Channels), constantInputs: [1], followsHeads: true);

    /// <summary>Each output's size along the axis: the attribute (before opset 13), the constant second input, or equal parts (num_outputs from opset 18).</summary>
    public static long[] Sizes(NodeProto node, long length, IReadOnlyDictionary<string, long[]> values, long opset)
    {
        var sizes = opset < 13 ? node.IntsAttribute("split")
            : node.InputOrEmpty(1) == "" ? null
            : values.GetValueOrDefault(node.Input[1])
                ?? throw new InvalidModelException($"Split '{node.DisplayName()}' takes its sizes from a tensor computed at run time; Shears needs them constant.");
        if (sizes is not null)
            return sizes.Sum() == length ? sizes : throw new InvalidModelException($"Split '{node.DisplayName()}' has sizes [{string.Join(",", sizes)}] for a length of {length}.");
        var count = node.Has("num_outputs") ? node.IntAttribute("num_outputs", 1) : node.Output.Count;
        var each = (length + count - 1) / count;
        if (length < 0 || (!node.Has("num_outputs") && length % count != 0))
            throw new InvalidModelException($"Split '{node.DisplayName()}' splits a length of {length} into {count} equal parts.");
        return [.. Enumerable.Range(0, (int)count).Select(i => Math.Max(0, Math.Min(each, length - (i * each))))];
    }

    public static int Axis(NodeProto node, int rank) => (int)ShapeInference.Axis(node, node.IntAttribute("axis", 0), rank);

    private static void Shape(NodeProto node, ShapeContext c)
    {
        var x = c.Shape(node, 0);
        var axis = Axis(node, x.Length);
        var sizes = Sizes(node, x[axis], c.Values, c.Opset);
        if (sizes.Length != node.Output.Count)
            throw new InvalidModelException($"Split '{node.DisplayName()}' has {sizes.Length} sizes for {node.Output.Count} outputs.");
        for (var i = 0; i < sizes.Length; i++)
        {
            var shape = x.ToArray();
            shape[axis] = sizes[i];
            c.SetOutput(node, i, shape);
        }
    }

    private static void Channels(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        var input = node.Input[0];
        var axis = Axis(node, walk.Rank(input));
        if (x.Spread && (axis == x.Outer || axis == x.Axis || x.Within.Contains(axis)))
        {
            if (axis == x.Outer && !x.Batched)
                SetParts(node, SplitParts(node, walk, axis, Sizes(node, walk.Shapes[input][axis], walk.Shapes.Values, walk.Graph.Opset), walk.Shapes[input][x.Axis]), walk);
            else
                walk.Opaque(node, $"Split '{node.DisplayName()}' cuts attention heads apart");
            return;
        }
        if (axis != x.Axis)
        {
            foreach (var output in node.Output.Where(o => o != ""))
                walk.SetLayout(output, x.Block == 1 ? x.GatedAt(output, x.Axis) : x with { GateTensor = null });
            return;
        }
        if (x.Block != 1)
        {
            walk.Opaque(node, $"Split '{node.DisplayName()}' splits flattened channel blocks");
            return;
        }
        var parts = SplitParts(node, walk, axis, Sizes(node, walk.Shapes[input][axis], walk.Shapes.Values, walk.Graph.Opset), 1);
        SetParts(node, parts, walk);
        for (var i = 0; i < parts.Count; i++)
            if (parts[i] is { } layout && node.Output[i] != "")
                walk.PassThroughSplit(layout, node, i);
    }

    /// <summary>
    /// Gather of one index on a fused projection's outer axis (Swin's q, k, v = qkv[0], qkv[1], qkv[2]): the part a Split
    /// would give at that index, with the axis removed; null when the channels cannot follow.
    /// </summary>
    public static ChannelLayout? OuterPart(NodeProto gather, ChannelGroupAnalysis.Walk walk, ChannelLayout x, long index)
    {
        var input = gather.Input[0];
        var length = walk.Shapes[input][x.Outer];
        index = index < 0 ? index + length : index;
        if (index < 0 || index >= length)
            return null;
        var sizes = new[] { index, 1, length - index - 1 };
        var nonEmpty = sizes.Where(s => s > 0).ToArray();
        var parts = SplitParts(gather, walk, x.Outer, nonEmpty, walk.Shapes[input][x.Axis]);
        var part = parts[index > 0 ? 1 : 0];
        var removed = x.Outer;
        return part is null ? null : HeadRules.Remapped(part, gather.Output[0], a => a == removed ? -1 : a > removed ? a - 1 : a);
    }

    private static void SetParts(NodeProto node, List<ChannelLayout?> parts, ChannelGroupAnalysis.Walk walk)
    {
        for (var i = 0; i < parts.Count; i++)
            if (parts[i] is { } layout && node.Output[i] != "")
                walk.SetLayout(node.Output[i], layout);
    }

    /// <summary>
    /// Cuts the channels of the node's input where parts of <paramref name="indexSizes"/> along <paramref name="axis"/> begin
    /// (each index holds <paramref name="channelsPerIndex"/> channels: 1 on the channel axis, the heads on a fused
    /// projection's outer axis); returns each part's layout (null for an empty part).
    /// </summary>
    private static List<ChannelLayout?> SplitParts(NodeProto node, ChannelGroupAnalysis.Walk walk, int axis, long[] indexSizes, long channelsPerIndex)
    {
        var input = node.Input[0];
        var sizes = indexSizes.Select(s => s * channelsPerIndex).ToArray();
        var x = walk.Layout(input)!;
        var divided = walk.CutAt(x, input, sizes.Select((_, i) => sizes.Take(i + 1).Sum()));
        var parts = new List<ChannelLayout?>();
        var next = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            var segments = new List<ChannelSegment>();
            for (long taken = 0; taken < sizes[i];)
            {
                var segment = divided.Segments[next++];
                segments.Add(segment);
                taken += walk.Channels(segment.Source);
            }
            var output = i < node.Output.Count ? node.Output[i] : "";
            parts.Add(segments.Count == 0 ? null
                : x.Spread ? divided with { Segments = segments, GateTensor = null } : new ChannelLayout(axis, segments, output, axis));
        }
        return parts;
    }
}
