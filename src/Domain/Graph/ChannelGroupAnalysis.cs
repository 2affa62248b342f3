using Onnx;
using Shears.Domain.Onnx;
using Shears.Domain.Operators;

namespace Shears.Domain.Graph;

/// <summary>
/// Finds the channel groups of a graph: follows every channel from the node that creates it
/// (Conv, Gemm, MatMul) through the nodes it passes (BatchNormalization, activations, pooling, Pad,
/// Transpose, Flatten/Reshape into blocks, depthwise Conv, Concat at offsets) to the consumers that
/// read it. Residual Add/Sub/Mul/Div merge the channels of their inputs into one group. Whatever
/// cannot be proven safe — the graph input and output, unknown operators, grouped convolutions,
/// Reshapes that are not flattens, Softmax over channels — holds the channels it touches fixed.
/// </summary>
public static class ChannelGroupAnalysis
{
    public static ChannelAnalysis Find(OnnxGraph graph) => new Walk(graph).Run();

    /// <summary>One pass over the graph in topological order; each operator's <see cref="OperatorFacts"/> moves channels through its node.</summary>
    internal sealed class Walk(OnnxGraph graph)
    {
        private readonly TensorShapes shapes = graph.Shapes;
        private readonly Dictionary<string, ChannelLayout> layouts = [];
        private readonly List<Source> sources = [];
        private readonly List<int> parent = [];
        private readonly List<(int Source, ParameterSlice Slice)> slices = [];
        private readonly List<(int Source, GateSite Site)> gates = [];
        private readonly List<(int Source, SplitPart Part)> splitParts = [];
        private readonly Dictionary<string, string> held = [];
        private readonly HashSet<string> frozen = [];

        public ChannelAnalysis Run()
        {
            const string inputReason = "the graph input's channels are never pruned";
            foreach (var input in graph.Inputs)
            {
                var inputShape = shapes[input.Name];
                var inputAxis = inputShape.Length >= 2 ? 1 : 0;
                layouts[input.Name] = new ChannelLayout(inputAxis,
                    [new ChannelSegment(NewSource(input.Name, inputShape[inputAxis], inputReason), 1)], input.Name, inputAxis);
                held[input.Name] = inputReason;
            }

            foreach (var node in graph.Nodes)
                if (node.Input.Any(layouts.ContainsKey))
                    Visit(node);

            foreach (var graphOutput in graph.Outputs)
                if (layouts.TryGetValue(graphOutput.Name, out var output))
                    Hold(output, graphOutput.Name, "it is a graph output");
            ResolveSharedInitializers();
            return Build();
        }

        private void Visit(NodeProto node)
        {
            if (OperatorRegistry.Find(node) is { } facts)
                facts.Channels(node, this);
            else
                Opaque(node, $"{OperatorRegistry.Describe(node)} '{node.DisplayName()}' is not something Shears can prune through");
        }

        public OnnxGraph Graph => graph;

        public TensorShapes Shapes => shapes;

        /// <summary>Where the tensor's channels come from, or null when it carries none the walk follows (weights, shapes).</summary>
        public ChannelLayout? Layout(string tensor) => layouts.GetValueOrDefault(tensor);

        public bool IsTracked(string tensor) => layouts.ContainsKey(tensor);

        public void SetLayout(string tensor, ChannelLayout layout) => layouts[tensor] = layout;

        /// <summary>Merges the sources of tensors that are combined element by element; false when their segments differ.</summary>
        public bool Align(List<ChannelLayout> operands)
        {
            var first = operands[0].Segments;
            foreach (var other in operands.Skip(1).Select(o => o.Segments))
                if (other.Count != first.Count || other.Where((s, i) => s.Block != first[i].Block || Channels(s.Source) != Channels(first[i].Source)).Any())
                    return false;
            foreach (var other in operands.Skip(1))
                for (var i = 0; i < first.Count; i++)
                    Union(first[i].Source, other.Segments[i].Source);
            return true;
        }

        /// <summary>An operator Shears cannot follow channels through: everything it reads or writes is held.</summary>
        public void Opaque(NodeProto node, string reason)
        {
            foreach (var input in node.Input.Where(i => i != ""))
            {
                if (layouts.TryGetValue(input, out var layout))
                    Hold(layout, input, reason);
                else if (graph.Initializers.ContainsKey(input))
                    frozen.Add(input);
            }
            foreach (var output in node.Output.Where(o => o != "" && shapes.All.ContainsKey(o)))
            {
                var rank = Rank(output);
                var axis = rank >= 2 ? 1 : 0;
                var channels = rank == 0 ? 1 : shapes[output][axis];
                layouts[output] = new ChannelLayout(axis, [new ChannelSegment(NewSource(output, channels, reason), 1)], output, axis);
            }
        }

        /// <summary>A channel-mixing consumer reads x: its weight's <paramref name="axis"/> is sliced at each segment's offset.</summary>
        public void Consume(ChannelLayout x, string tensor, string weight, int axis, string reader)
        {
            long offset = 0;
            long channelOffset = 0;
            foreach (var segment in x.Segments)
            {
                slices.Add((segment.Source, new ParameterSlice(weight, axis, (int)offset, (int)segment.Block, SliceRole.Consumer)));
                if (x.GateTensor is { } gate)
                    gates.Add((segment.Source, new GateSite(gate, x.GateAxis, (int)channelOffset, x.GateReader ?? reader)));
                else
                    Hold(x, tensor, "no tensor exists where a gate could scale these channels");
                offset += Channels(segment.Source) * segment.Block;
                channelOffset += Channels(segment.Source);
            }
        }

        public void PassThrough(ChannelLayout x, IEnumerable<(string Tensor, int Axis)> parameters)
        {
            foreach (var (tensor, axis) in parameters.Where(p => p.Tensor != ""))
            {
                long offset = 0;
                foreach (var segment in x.Segments)
                {
                    slices.Add((segment.Source, new ParameterSlice(tensor, axis, (int)offset, (int)segment.Block, SliceRole.PassThrough)));
                    offset += Channels(segment.Source) * segment.Block;
                }
            }
        }

        public void Produce(NodeProto node, IEnumerable<(string Tensor, int Axis)> parameters, long channels, int axis = 1)
        {
            var source = NewSource(node.DisplayName(), channels, null);
            foreach (var (tensor, parameterAxis) in parameters.Where(p => p.Tensor != ""))
                slices.Add((source, new ParameterSlice(tensor, parameterAxis, 0, 1, SliceRole.Producer)));
            layouts[node.Output[0]] = new ChannelLayout(axis, [new ChannelSegment(source, 1)], node.Output[0], axis);
        }

        public bool BiasIsSliceable(string bias) => bias == "" || (IsFloatInitializer(bias) && Dims(bias).Count(d => d != 1) <= 1 && Dims(bias).Length <= 2);

        public bool IsFloatInitializer(string tensor) =>
            graph.Initializers.TryGetValue(tensor, out var t) && (TensorProto.Types.DataType)t.DataType == TensorProto.Types.DataType.Float;

        public long[] Dims(string initializer) => OnnxTensors.Dims(graph.Initializers[initializer]);

        public int Rank(string tensor) => shapes[tensor].Length;

        public long Channels(int source) => sources[source].Channels;

        public int NewSource(string name, long channels, string? heldReason)
        {
            sources.Add(new Source(name, channels, heldReason));
            parent.Add(sources.Count - 1);
            return sources.Count - 1;
        }

        private int Find(int source)
        {
            while (parent[source] != source)
                source = parent[source] = parent[parent[source]];
            return source;
        }

        private void Union(int a, int b)
        {
            (a, b) = (Find(a), Find(b));
            if (a == b)
                return;
            var (keep, drop) = a < b ? (a, b) : (b, a);
            parent[drop] = keep;
            if (sources[drop].HeldReason is { } reason && sources[keep].HeldReason is null)
                sources[keep] = sources[keep] with { HeldReason = reason };
        }

        /// <summary>
        /// Cuts the channels of <paramref name="source"/> (and of every source merged with it) into consecutive parts
        /// of <paramref name="sizes"/>, each its own source from now on: a Split or Slice on the channel axis sends
        /// different channels of one producer to different places. Every slice, gate and layout recorded for the
        /// whole source moves to the parts at their offsets; returns the parts of <paramref name="source"/>.
        /// </summary>
        public IReadOnlyList<int> Divide(int source, IReadOnlyList<long> sizes)
        {
            var root = Find(source);
            var members = Enumerable.Range(0, sources.Count).Where(s => Find(s) == root && !sources[s].Divided).ToList();
            var starts = sizes.Select((_, i) => sizes.Take(i).Sum()).ToList();
            var parts = members.ToDictionary(m => m, m => sizes.Select((size, i) =>
                NewSource($"{sources[m].Name}[{starts[i]}:{starts[i] + size}]", size, sources[root].HeldReason)).ToList());
            foreach (var m in members.Skip(1))
                for (var i = 0; i < sizes.Count; i++)
                    Union(parts[members[0]][i], parts[m][i]);

            Redistribute(slices, parts, (slice, i) => slice with { Offset = slice.Offset + (int)(starts[i] * slice.BlockSize) });
            Redistribute(gates, parts, (site, i) => site with { Offset = site.Offset + (int)starts[i] });
            Redistribute(splitParts, parts, (part, _) => part);
            foreach (var (tensor, layout) in layouts.ToList())
                if (layout.Segments.Any(s => parts.ContainsKey(s.Source)))
                    layouts[tensor] = layout with
                    {
                        Segments = [.. layout.Segments.SelectMany(s => parts.TryGetValue(s.Source, out var p)
                            ? p.Select(part => new ChannelSegment(part, s.Block)) : [s])],
                    };
            foreach (var m in members)
                sources[m] = sources[m] with { Divided = true };
            return parts[source];
        }

        private static void Redistribute<T>(List<(int Source, T Item)> records, Dictionary<int, List<int>> parts, Func<T, int, T> atPart)
        {
            var moved = records.Where(r => parts.ContainsKey(r.Source)).ToList();
            records.RemoveAll(r => parts.ContainsKey(r.Source));
            foreach (var (source, item) in moved)
                records.AddRange(parts[source].Select((part, i) => (part, atPart(item, i))));
        }

        /// <summary>The channels of <paramref name="layout"/> pass through output <paramref name="output"/> of a Split whose sizes surgery rewrites.</summary>
        public void PassThroughSplit(ChannelLayout layout, NodeProto split, int output)
        {
            foreach (var segment in layout.Segments)
                splitParts.Add((segment.Source, new SplitPart(split.Output[0], output, (int)segment.Block)));
        }

        public void Hold(ChannelLayout layout, string tensor, string reason)
        {
            foreach (var segment in layout.Segments)
                HoldSource(segment.Source, reason);
            held.TryAdd(tensor, reason);
        }

        private void HoldSource(int source, string reason)
        {
            var root = Find(source);
            if (sources[root].HeldReason is null)
                sources[root] = sources[root] with { HeldReason = reason };
        }

        /// <summary>
        /// An initializer sliced on the same axis by two groups over the same range ties them into one
        /// group (shared weights); overlapping different ranges, or a slice of an initializer an opaque
        /// operator also reads, hold the groups.
        /// </summary>
        private void ResolveSharedInitializers()
        {
            bool changed;
            do
            {
                changed = false;
                foreach (var claims in slices.GroupBy(s => (s.Slice.Initializer, s.Slice.Axis)))
                {
                    var distinct = claims.Select(c => (Root: Find(c.Source), c.Slice.Offset, c.Slice.BlockSize)).Distinct().ToList();
                    foreach (var a in distinct)
                    {
                        if (frozen.Contains(claims.Key.Initializer))
                            changed |= HoldOnce(a.Root, claims.Key.Initializer, "an operator Shears cannot prune through also reads it");
                        foreach (var b in distinct.Where(b => b != a && Overlaps(a, b)))
                        {
                            if (a.Root != b.Root && a.Offset == b.Offset && a.BlockSize == b.BlockSize && Channels(a.Root) == Channels(b.Root))
                            {
                                Union(a.Root, b.Root);
                                changed = true;
                            }
                            else
                            {
                                changed |= HoldOnce(a.Root, claims.Key.Initializer, "it is shared by layers whose channels do not line up");
                            }
                        }
                    }
                    if (changed)
                        break;
                }
            }
            while (changed);
        }

        private bool Overlaps((int Root, int Offset, int BlockSize) a, (int Root, int Offset, int BlockSize) b) =>
            a.Offset < b.Offset + (Channels(b.Root) * b.BlockSize) && b.Offset < a.Offset + (Channels(a.Root) * a.BlockSize);

        private bool HoldOnce(int source, string tensor, string reason)
        {
            if (sources[Find(source)].HeldReason is not null)
                return false;
            HoldSource(source, reason);
            held.TryAdd(tensor, reason);
            return true;
        }

        private ChannelAnalysis Build()
        {
            var roots = Enumerable.Range(0, sources.Count).Where(s => Find(s) == s && sources[s].HeldReason is null && !sources[s].Divided).ToList();
            var groups = new List<ChannelGroup>();
            foreach (var root in roots)
            {
                var id = groups.Count;
                var members = Enumerable.Range(0, sources.Count).Where(s => Find(s) == root).ToHashSet();
                var names = members.Order().Select(s => sources[s].Name).ToList();
                var name = names.Count <= 3 ? string.Join("+", names) : $"{string.Join("+", names.Take(3))}+{names.Count - 3} more";
                groups.Add(new ChannelGroup(id, name, (int)Channels(root),
                    [.. slices.Where(s => members.Contains(s.Source)).Select(s => s.Slice).Distinct()],
                    [.. gates.Where(g => members.Contains(g.Source)).Select(g => g.Site).Distinct()],
                    [.. splitParts.Where(p => members.Contains(p.Source)).Select(p => p.Part).Distinct()]));
            }
            return new ChannelAnalysis(groups, [.. held.Select(h => new HeldTensor(h.Key, h.Value))]);
        }

        /// <param name="Divided">Cut into parts by <see cref="Divide"/>: the parts stand for it from then on.</param>
        private sealed record Source(string Name, long Channels, string? HeldReason, bool Divided = false);
    }
}
