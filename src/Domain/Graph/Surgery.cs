using Google.Protobuf;
using Onnx;
using Shears.Domain.Onnx;

namespace Shears.Domain.Graph;

/// <summary>
/// Physically removes channels: cuts every member slice of every removed channel out of its
/// initializer and writes a valid, smaller ONNX model (Conv group counts, flatten Reshape targets
/// and initializer input declarations follow; stale value_info shapes are dropped; nodes and
/// initializers left unused are removed).
/// </summary>
public static class Surgery
{
    /// <param name="removedChannels">Per group id, the channel indices to remove (0-based, within the group).</param>
    /// <param name="newInitializerValues">Full-size values that replace initializers before slicing (fine-tuned weights, folded gates).</param>
    /// <exception cref="InvalidOperationException">A group would lose all its channels, or an index is out of range.</exception>
    public static ModelProto Prune(OnnxGraph graph, IReadOnlyList<ChannelGroup> groups, IReadOnlyDictionary<int, IReadOnlySet<int>> removedChannels,
        IReadOnlyDictionary<string, float[]>? newInitializerValues = null)
    {
        var removals = Removals(groups, removedChannels, role: null);
        var model = graph.Model.Clone();
        var dims = new Dictionary<string, long[]>();
        foreach (var name in removals.Keys.Union(newInitializerValues?.Keys ?? []))
        {
            var (values, shape) = (StartingValues(graph, name, newInitializerValues), OnnxTensors.Dims(graph.Initializers[name]));
            foreach (var (axis, indices) in removals.GetValueOrDefault(name, []).OrderBy(r => r.Key))
                (values, shape) = TensorSlicer.Keep(values, shape, axis, [.. Enumerable.Range(0, (int)shape[axis]).Where(i => !indices.Contains(i))]);
            Replace(model.Graph, OnnxTensors.FromFloats(name, shape, values));
            dims[name] = shape;
        }

        UpdateGroupedConvolutions(model.Graph, dims, graph);
        RewriteFlattenReshapes(model.Graph, graph.Shapes);
        RewriteSplitSizes(model.Graph, graph, groups, removedChannels);
        HeadShapes.Rewrite(model.Graph, graph, groups, removedChannels);
        model.Graph.ValueInfo.Clear();
        foreach (var input in model.Graph.Input.Where(i => dims.ContainsKey(i.Name)))
            SetShape(input, dims[input.Name]);
        GraphCleanup.RemoveUnused(model.Graph);
        return model;
    }

    public static byte[] PruneToBytes(OnnxGraph graph, IReadOnlyList<ChannelGroup> groups, IReadOnlyDictionary<int, IReadOnlySet<int>> removedChannels,
        IReadOnlyDictionary<string, float[]>? newInitializerValues = null) =>
        Prune(graph, groups, removedChannels, newInitializerValues).ToByteArray();

    /// <summary>
    /// The full-size "masked" model: the removed channels' <see cref="SliceRole.Consumer"/> slices set to
    /// zero. Its outputs equal the pruned model's, which is how surgery is checked.
    /// </summary>
    public static ModelProto Mask(OnnxGraph graph, IReadOnlyList<ChannelGroup> groups, IReadOnlyDictionary<int, IReadOnlySet<int>> removedChannels,
        IReadOnlyDictionary<string, float[]>? newInitializerValues = null)
    {
        var model = graph.Model.Clone();
        var removals = Removals(groups, removedChannels, SliceRole.Consumer);
        foreach (var name in removals.Keys.Union(newInitializerValues?.Keys ?? []))
        {
            var values = StartingValues(graph, name, newInitializerValues);
            var shape = OnnxTensors.Dims(graph.Initializers[name]);
            foreach (var (axis, indices) in removals.GetValueOrDefault(name, []))
                TensorSlicer.Zero(values, shape, axis, indices);
            Replace(model.Graph, OnnxTensors.FromFloats(name, shape, values));
        }
        return model;
    }

    /// <summary>Per initializer and axis, the indices the removed channels own (of one role, or all).</summary>
    private static Dictionary<string, Dictionary<int, HashSet<int>>> Removals(IReadOnlyList<ChannelGroup> groups,
        IReadOnlyDictionary<int, IReadOnlySet<int>> removedChannels, SliceRole? role)
    {
        var removals = new Dictionary<string, Dictionary<int, HashSet<int>>>();
        foreach (var (groupId, channels) in removedChannels.Where(r => r.Value.Count > 0))
        {
            var group = groups.FirstOrDefault(g => g.Id == groupId)
                ?? throw new InvalidOperationException($"There is no channel group {groupId}.");
            if (channels.Count >= group.Channels)
                throw new InvalidOperationException($"Group {group.Id} ({group.Name}) would lose all {group.Channels} of its channels; at least one must stay.");
            if (channels.Any(c => c < 0 || c >= group.Channels))
                throw new InvalidOperationException($"Group {group.Id} ({group.Name}) has channels 0..{group.Channels - 1}; cannot remove {string.Join(",", channels.Where(c => c < 0 || c >= group.Channels))}.");
            foreach (var slice in group.Members.Where(m => role is null || m.Role == role))
            {
                var axes = removals.TryGetValue(slice.Initializer, out var a) ? a : removals[slice.Initializer] = [];
                var indices = axes.TryGetValue(slice.Axis, out var i) ? i : axes[slice.Axis] = [];
                foreach (var channel in channels)
                    for (var b = 0; b < slice.BlockSize; b++)
                        indices.Add(slice.Offset + (channel * slice.BlockSize) + b);
            }
        }
        return removals;
    }

    private static float[] StartingValues(OnnxGraph graph, string name, IReadOnlyDictionary<string, float[]>? replacements)
    {
        var original = graph.Initializers.TryGetValue(name, out var t) ? t : throw new InvalidOperationException($"'{name}' is not an initializer of the model.");
        if ((TensorProto.Types.DataType)original.DataType != TensorProto.Types.DataType.Float)
            throw new InvalidOperationException($"Initializer '{name}' is not float; Shears only slices float parameters.");
        if (replacements?.GetValueOrDefault(name) is not { } values)
            return OnnxTensors.ToFloats(original);
        return values.Length == OnnxTensors.ElementCount(original)
            ? (float[])values.Clone()
            : throw new InvalidOperationException($"New values for '{name}' have {values.Length} elements; the initializer has {OnnxTensors.ElementCount(original)}.");
    }

    /// <summary>Puts a tensor in place of the initializer or Constant-node value of the same name.</summary>
    private static void Replace(GraphProto graph, TensorProto tensor)
    {
        for (var i = 0; i < graph.Initializer.Count; i++)
            if (graph.Initializer[i].Name == tensor.Name)
            {
                graph.Initializer[i] = tensor;
                return;
            }
        var constant = graph.Node.First(n => n.OpType == "Constant" && n.Output[0] == tensor.Name);
        tensor.Name = "";
        constant.Attribute.Clear();
        constant.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = tensor });
    }

    /// <summary>
    /// A grouped Conv that lost filters lost whole groups (the analysis removes them group by group; depthwise: one filter
    /// each): its group count falls with them, the channels per group stay. One that lost none stays as it is.
    /// </summary>
    private static void UpdateGroupedConvolutions(GraphProto graph, Dictionary<string, long[]> dims, OnnxGraph original)
    {
        foreach (var node in graph.Node.Where(n => n.OpType == "Conv" && n.IntAttribute("group", 1) > 1 && dims.ContainsKey(n.Input[1])))
        {
            var before = OnnxTensors.Dims(original.Initializers[node.Input[1]])[0];
            var after = dims[node.Input[1]][0];
            var group = node.Attribute.First(a => a.Name == "group");
            if (after == before)
                continue; // new values for its weight, no filter removed
            var perGroup = before / group.I;
            if (after % perGroup != 0)
                throw new InvalidOperationException($"Conv '{node.DisplayName()}' has {group.I} groups of {perGroup} filters and would keep {after}; only whole groups can be removed.");
            group.I = after / perGroup;
        }
    }

    /// <summary>
    /// A Reshape that flattens [N, C, H, W] to [N, C·H·W] gets the target [0, -1] (copy the batch, infer
    /// the rest), so it stays right whatever its static target or the shape arithmetic in front of it said.
    /// </summary>
    private static void RewriteFlattenReshapes(GraphProto graph, TensorShapes shapes)
    {
        foreach (var node in graph.Node.Where(n => n.OpType == "Reshape"))
        {
            var input = shapes[node.Input[0]];
            var output = shapes[node.Output[0]];
            if (input.Length <= 2 || output.Length != 2 || output[0] != input[0] || output[1] != input.Skip(1).Aggregate(1L, (a, d) => a * d))
                continue;
            var name = $"{node.Output[0]}__flatten_shape";
            graph.Initializer.Add(OnnxTensors.FromInt64s(name, [2], [0, -1]));
            node.Input[1] = name;
            var allowZero = node.Attribute.FirstOrDefault(a => a.Name == "allowzero");
            if (allowZero is not null)
                node.Attribute.Remove(allowZero);
        }
    }

    /// <summary>Each Split whose outputs lost channels gets its own sizes tensor (exporters share one between Splits).</summary>
    private static void RewriteSplitSizes(GraphProto graph, OnnxGraph original, IReadOnlyList<ChannelGroup> groups,
        IReadOnlyDictionary<int, IReadOnlySet<int>> removedChannels)
    {
        var lost = new Dictionary<(string Split, int Output), long>();
        foreach (var group in groups.Where(g => removedChannels.GetValueOrDefault(g.Id)?.Count > 0))
            foreach (var part in group.SplitParts ?? [])
                lost[(part.Split, part.Output)] = lost.GetValueOrDefault((part.Split, part.Output)) + ((long)removedChannels[group.Id].Count * part.Block);
        foreach (var node in graph.Node.Where(n => n.OpType == "Split" && lost.Keys.Any(k => k.Split == n.Output[0])))
        {
            var input = original.Shapes[node.Input[0]];
            var axis = Operators.SplitOperator.Axis(node, input.Length);
            var sizes = Operators.SplitOperator.Sizes(node, input[axis], original.Shapes.Values, original.Opset)
                .Select((size, i) => size - lost.GetValueOrDefault((node.Output[0], i))).ToArray();
            if (original.Opset < 13)
            {
                RemoveAttribute(node, "split");
                node.Attribute.Add(new AttributeProto { Name = "split", Type = AttributeProto.Types.AttributeType.Ints, Ints = { sizes } });
                continue;
            }
            var name = $"{node.Output[0]}__split_sizes";
            graph.Initializer.Add(OnnxTensors.FromInt64s(name, [sizes.Length], sizes));
            if (node.Input.Count > 1)
                node.Input[1] = name;
            else
                node.Input.Add(name);
            RemoveAttribute(node, "num_outputs");
        }
    }

    private static void RemoveAttribute(NodeProto node, string name)
    {
        if (node.Attribute.FirstOrDefault(a => a.Name == name) is { } attribute)
            node.Attribute.Remove(attribute);
    }

    private static void SetShape(ValueInfoProto value, long[] dims)
    {
        var shape = value.Type?.TensorType?.Shape;
        if (shape is null)
            return;
        shape.Dim.Clear();
        shape.Dim.AddRange(dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
    }
}
