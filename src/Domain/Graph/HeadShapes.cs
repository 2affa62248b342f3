using Onnx;
using Shears.Domain.Onnx;
using Shears.Domain.Operators;

namespace Shears.Domain.Graph;

/// <summary>
/// Surgery's rewrites for attention heads: the Reshapes that split the channels into heads and merge them back get
/// static targets with the new head count (copying the other dimensions with 0, inferring the batch with −1, so the
/// network keeps its dynamic batch and sequence length), and the Slices that cut Q, K and V out of a fused projection
/// get bounds moved past the removed channels. The shape arithmetic that computed the old ones is left unused. Every
/// group's sites are rewritten, also those of groups that keep all their heads, so no Shape is left reading a width that changed.
/// </summary>
internal static class HeadShapes
{
    public static void Rewrite(GraphProto graph, OnnxGraph original, IReadOnlyList<ChannelGroup> groups, IReadOnlyDictionary<int, IReadOnlySet<int>> removedChannels)
    {
        // Every group's sites, also where nothing is removed: the targets are static either way, whichever groups shrink.
        IReadOnlySet<int> Removed(ChannelGroup g) => removedChannels.GetValueOrDefault(g.Id) ?? new HashSet<int>();
        var reshapes = groups.SelectMany(g => (g.ReshapeSites ?? []).Select(site => (site, Removed: Removed(g).Count)))
            .GroupBy(r => r.site.Reshape).ToDictionary(r => r.Key, r => r.ToList());
        var slices = groups.SelectMany(g => (g.SliceSites ?? []).Select(site => (site, Indices: Removed(g)
                .SelectMany(c => Enumerable.Range(site.Offset + (c * site.Block), site.Block)).Select(i => (long)i))))
            .GroupBy(r => r.site.Slice).ToDictionary(r => r.Key, r => (r.First().site.Axis, Removed: r.SelectMany(x => x.Indices).ToHashSet()));
        foreach (var node in graph.Node)
        {
            if (node.OpType == "Reshape" && reshapes.TryGetValue(node.Output[0], out var sites))
                RewriteReshape(graph, original, node, sites);
            else if (node.OpType == "Slice" && slices.TryGetValue(node.Output[0], out var cut))
                RewriteSlice(graph, original, node, cut.Axis, cut.Removed);
        }
    }

    private static void RewriteReshape(GraphProto graph, OnnxGraph original, NodeProto node, List<(ReshapeSite Site, int Removed)> sites)
    {
        var input = original.Shapes[node.Input[0]];
        var output = original.Shapes[node.Output[0]];
        var changedInputs = sites.Select(s => s.Site.InputAxis).ToHashSet();
        var target = new long[output.Length];
        for (var i = 0; i < output.Length; i++)
        {
            var onAxis = sites.Where(s => s.Site.Axis == i).ToList();
            if (onAxis.Count > 0 && output[i] >= 0)
            {
                var total = onAxis[0].Site.Total;
                var kept = total - onAxis.Sum(s => s.Removed);
                if (output[i] * kept % total != 0)
                    throw new InvalidOperationException($"Reshape '{node.DisplayName()}' cannot keep {kept} of {total} heads on an axis of {output[i]}.");
                target[i] = output[i] * kept / total;
            }
            else if (onAxis.Count == 0 && i < input.Length && input[i] == output[i] && !changedInputs.Contains(i))
                target[i] = 0;
            else
                target[i] = output[i] < 0 ? -1 : output[i];
        }
        if (target.Count(d => d == -1) > 1)
            throw new InvalidOperationException($"Reshape '{node.DisplayName()}' would need {target.Count(d => d == -1)} inferred dimensions after removing heads.");
        var name = $"{node.Output[0]}__heads_shape";
        graph.Initializer.Add(OnnxTensors.FromInt64s(name, [target.Length], target));
        node.Input[1] = name;
        if (node.Attribute.FirstOrDefault(a => a.Name == "allowzero") is { } allowZero)
            node.Attribute.Remove(allowZero);
    }

    private static void RewriteSlice(GraphProto graph, OnnxGraph original, NodeProto node, int axis, HashSet<long> removed)
    {
        var input = original.Shapes[node.Input[0]];
        var (knownStarts, knownEnds, axes, steps) = ShapeOperators.SliceArguments(node, original.Shapes.Values)
            ?? throw new InvalidOperationException($"Slice '{node.DisplayName()}' has bounds computed at run time.");
        var (starts, ends) = (knownStarts.ToArray(), knownEnds.ToArray()); // the known values are shared with other readers
        axes ??= [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)];
        long Moved(long bound) => bound - removed.Count(r => r < bound);
        for (var i = 0; i < axes.Length; i++)
        {
            if (ShapeInference.Axis(node, axes[i], input.Length) != axis)
                continue;
            var (first, count) = SliceBounds.Resolve(input[axis], starts[i], ends[i], steps?[i] ?? 1);
            (starts[i], ends[i]) = (Moved(first), Moved(first + count));
        }
        if (node.Has("starts"))
        {
            SetInts(node, "starts", starts);
            SetInts(node, "ends", ends);
            return;
        }
        foreach (var (index, values, suffix) in new[] { (1, starts, "starts"), (2, ends, "ends") })
        {
            var name = $"{node.Output[0]}__heads_{suffix}";
            graph.Initializer.Add(OnnxTensors.FromInt64s(name, [values.Length], values));
            node.Input[index] = name;
        }
        if (node.InputOrEmpty(3) != "")
        {
            var name = $"{node.Output[0]}__heads_axes";
            graph.Initializer.Add(OnnxTensors.FromInt64s(name, [axes.Length], axes));
            node.Input[3] = name;
        }
    }

    private static void SetInts(NodeProto node, string name, long[] values)
    {
        var attribute = node.Attribute.First(a => a.Name == name);
        attribute.Ints.Clear();
        attribute.Ints.AddRange(values);
    }
}
