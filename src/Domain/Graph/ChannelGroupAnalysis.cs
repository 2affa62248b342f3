using Onnx;
using Shears.Domain.Onnx;
using Shears.Domain.Operators;

namespace Shears.Domain.Graph;

/// <summary>
/// Finds the channel groups of a graph: follows every channel from the node that creates it
/// (Conv, Gemm, MatMul) through the nodes it passes (BatchNormalization, activations, pooling, Pad,
/// Transpose, Flatten/Reshape into blocks, depthwise and grouped Conv, Concat at offsets) to the consumers that
/// read it. Residual Add/Sub/Mul/Div merge the channels of their inputs into one group. A Reshape into
/// heads × head_dim makes each attention head one channel, followed through the score and value products
/// to the output projection (<see cref="Operators.HeadRules"/>); a grouped Conv makes each of its groups one
/// channel (<see cref="Walk.RemoveTogether"/>). Whatever cannot be proven safe — the graph input and output,
/// unknown operators, grouped convolutions whose groups widen, Reshapes that are not flattens, Softmax over
/// channels — holds the channels it touches fixed.
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
        private readonly List<(int Source, ReshapeSite Site)> reshapeSites = [];
        private readonly List<(int Source, SliceSite Site)> sliceSites = [];
        private readonly List<(int Source, ScaledCost Cost)> scaledCosts = [];
        private readonly List<(NodeProto Shape, string Tensor, string Reason)> channelCountReads = [];
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
                if (node.Input.Any(layouts.ContainsKey) || OperatorRegistry.Find(node) is { ProducesFromInitializers: true })
                    Visit(node);

            foreach (var graphOutput in graph.Outputs)
                if (layouts.TryGetValue(graphOutput.Name, out var output))
                    Hold(output, graphOutput.Name, "it is a graph output");
            HoldChannelCountReads();
            ResolveSharedInitializers();
            CoarsenToWholeRuns();
            return Build();
        }

        private void Visit(NodeProto node)
        {
            var facts = OperatorRegistry.Find(node);
            if (facts is not null && (facts.FollowsHeads || !node.Input.Any(i => Layout(i) is { Spread: true })))
                facts.Channels(node, this);
            else if (facts is not null)
                Opaque(node, $"{node.OpType} '{node.DisplayName()}' reads channels spread over several axes (attention heads), which Shears cannot follow through it");
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
                    gates.Add((segment.Source, new GateSite(gate, x.GateAxis, (int)channelOffset, x.GateReader ?? reader, (int)segment.GateBlock, x.GateRows.Before, x.GateRows.After)));
                else
                    Hold(x, tensor, "no tensor exists where a gate could scale these channels");
                offset += Channels(segment.Source) * segment.Block;
                channelOffset += Channels(segment.Source) * segment.GateBlock;
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
                NewPart(sources[m], starts[i], size, sources[root].HeldReason)).ToList());
            foreach (var m in members.Skip(1))
                for (var i = 0; i < sizes.Count; i++)
                    Union(parts[members[0]][i], parts[m][i]);

            Redistribute(slices, parts, (slice, i) => slice with { Offset = slice.Offset + (int)(starts[i] * slice.BlockSize) });
            Redistribute(gates, parts, (site, i) => site with { Offset = site.Offset + (int)(starts[i] * site.Block) });
            Redistribute(splitParts, parts, (part, _) => part);
            Redistribute(reshapeSites, parts, (site, _) => site);
            Redistribute(sliceSites, parts, (site, i) => site with { Offset = site.Offset + (int)(starts[i] * site.Block) });
            Redistribute(scaledCosts, parts, (cost, _) => cost);
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

        /// <summary>
        /// Divides the sources of <paramref name="layout"/> (block 1, the layout of <paramref name="tensor"/>) so that each
        /// channel position in <paramref name="cuts"/> begins a segment; returns the tensor's layout after the cuts.
        /// </summary>
        public ChannelLayout CutAt(ChannelLayout layout, string tensor, IEnumerable<long> cuts)
        {
            var at = cuts.ToHashSet();
            long start = 0;
            foreach (var segment in layout.Segments)
            {
                var channels = Channels(segment.Source);
                var inside = at.Where(c => c > start && c < start + channels).Order().Prepend(start).Append(start + channels).ToList();
                if (inside.Count > 2)
                {
                    var sizes = inside.Zip(inside.Skip(1), (a, b) => b - a).ToList();
                    var root = Find(segment.Source);
                    var cutRun = Enumerable.Range(0, sources.Count).Where(s => Find(s) == root && !sources[s].Divided)
                        .FirstOrDefault(s => sizes.Any(size => size % sources[s].Together != 0), -1);
                    var parts = Divide(segment.Source, sizes);
                    if (cutRun >= 0)
                        foreach (var part in parts)
                            HoldOnce(part, tensor, $"Conv '{sources[cutRun].TogetherBy}' removes these channels {sources[cutRun].Together} at a time (its groups), and a Split or Slice cuts through its groups");
                }
                start += channels;
            }
            return layouts[tensor];
        }

        /// <summary>
        /// Makes every <paramref name="unit"/> consecutive channels of the layout's sources (and of every source merged
        /// with them) one channel: a Reshape that splits the channel axis into heads × head_dim shows the channels are
        /// heads. Every slice, gate and site recorded for them so far covers <paramref name="unit"/> times the indices;
        /// false (nothing changed) when some source's width is not a multiple of the unit.
        /// </summary>
        public bool Coarsen(ChannelLayout layout, long unit)
        {
            var roots = layout.Segments.Select(s => Find(s.Source)).ToHashSet();
            var members = Enumerable.Range(0, sources.Count).Where(s => !sources[s].Divided && roots.Contains(Find(s))).ToHashSet();
            if (layout.Segments.Any(s => s.Block != 1) || members.Any(m => sources[m].Channels % unit != 0))
                return false;
            CoarsenMembers(members, unit);
            return true;
        }

        private void CoarsenMembers(HashSet<int> members, long unit)
        {
            foreach (var m in members)
                sources[m] = sources[m] with
                {
                    Channels = sources[m].Channels / unit,
                    Unit = sources[m].Unit * unit,
                    Together = Lcm(sources[m].Together, unit) / unit,
                };
            var times = (int)unit;
            Scale(slices, members, slice => slice with { BlockSize = slice.BlockSize * times });
            Scale(gates, members, site => site with { Block = site.Block * times });
            Scale(splitParts, members, part => part with { Block = part.Block * times });
            Scale(reshapeSites, members, site => site with { Total = site.Total / unit });
            Scale(sliceSites, members, site => site with { Block = site.Block * times });
            Scale(scaledCosts, members, cost => cost with { Total = cost.Total / unit });
            foreach (var (tensor, existing) in layouts.ToList())
                if (existing.Segments.Any(s => members.Contains(s.Source)))
                    layouts[tensor] = existing with
                    {
                        Segments = [.. existing.Segments.Select(s => members.Contains(s.Source) ? s with { Block = s.Block * unit, GateBlock = s.GateBlock * unit } : s)],
                    };
        }

        /// <summary>
        /// The layout's channels are removed <paramref name="width"/> consecutive ones at a time (<paramref name="by"/>: a grouped
        /// Conv whose group reads and writes those channels). The walk goes on with single channels, so every operator sees the
        /// layout it always did; once the whole graph is walked, each run becomes one channel of its group
        /// (<see cref="CoarsenToWholeRuns"/>). False (nothing recorded) when a segment does not start and end on a run.
        /// </summary>
        public bool RemoveTogether(ChannelLayout layout, long width, string by)
        {
            if (width == 1)
                return true;
            if (layout.Segments.Any(s => s.Block != 1 || Channels(s.Source) % width != 0))
                return false;
            foreach (var segment in layout.Segments)
                sources[segment.Source] = sources[segment.Source] with { Together = Lcm(sources[segment.Source].Together, width), TogetherBy = by };
            return true;
        }

        /// <summary>
        /// Makes each run of channels that must go together (<see cref="RemoveTogether"/>) one channel of its group: the least
        /// common multiple of every member's run, since a removal that respects runs of a and of b removes whole runs of lcm(a, b).
        /// </summary>
        private void CoarsenToWholeRuns()
        {
            foreach (var root in Enumerable.Range(0, sources.Count).Where(s => Find(s) == s && !sources[s].Divided && sources[s].HeldReason is null).ToList())
            {
                var members = Enumerable.Range(0, sources.Count).Where(s => !sources[s].Divided && Find(s) == root).ToHashSet();
                var width = members.Aggregate(1L, (w, m) => Lcm(w, sources[m].Together));
                if (width > 1)
                    CoarsenMembers(members, width);
            }
        }

        private static long Lcm(long a, long b) => a / Gcd(a, b) * b;

        private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);

        private static void Scale<T>(List<(int Source, T Item)> records, HashSet<int> members, Func<T, T> scaled)
        {
            for (var i = 0; i < records.Count; i++)
                if (members.Contains(records[i].Source))
                    records[i] = (records[i].Source, scaled(records[i].Item));
        }

        public void RecordReshape(ChannelLayout layout, ReshapeSite site)
        {
            var total = layout.Segments.Sum(s => Channels(s.Source));
            foreach (var segment in layout.Segments)
                reshapeSites.Add((segment.Source, site with { Total = total }));
        }

        /// <summary>Slice <paramref name="slice"/> cuts the layout's axis: each segment's channels sit at their offset there.</summary>
        public void RecordSlice(ChannelLayout layout, NodeProto slice)
        {
            long offset = 0;
            foreach (var segment in layout.Segments)
            {
                sliceSites.Add((segment.Source, new SliceSite(slice.Output[0], layout.Axis, (int)offset, (int)segment.Block)));
                offset += Channels(segment.Source) * segment.Block;
            }
        }

        /// <summary>Node <paramref name="node"/> multiplies activations once per channel of the layout (attention scores per head).</summary>
        public void RecordScaledCost(ChannelLayout layout, NodeProto node)
        {
            var total = layout.Segments.Sum(s => Channels(s.Source));
            foreach (var segment in layout.Segments)
                scaledCosts.Add((segment.Source, new ScaledCost(node.Output[0], total)));
        }

        /// <summary>
        /// Shape node <paramref name="shape"/> reads the channel count of <paramref name="tensor"/>. Harmless when that count
        /// only reaches targets surgery rewrites for the same channels (the Reshapes into heads and back, the Slices of a
        /// fused projection); decided once the whole graph is walked, else the channels are held for <paramref name="reason"/>.
        /// </summary>
        public void ReadsChannelCount(NodeProto shape, string tensor, string reason) =>
            channelCountReads.Add((shape, tensor, reason));

        private void HoldChannelCountReads()
        {
            var rewritten = new Dictionary<(string Node, int Input), List<int>>();
            foreach (var (source, site) in reshapeSites)
                Rewritten(rewritten, (site.Reshape, 1)).Add(source);
            foreach (var (source, site) in sliceSites)
            {
                Rewritten(rewritten, (site.Slice, 1)).Add(source);
                Rewritten(rewritten, (site.Slice, 2)).Add(source);
            }
            foreach (var (shape, tensor, reason) in channelCountReads)
            {
                // The tensor's layout now, after any Split or Slice divided its sources.
                var readSources = layouts[tensor].Segments.Select(s => s.Source).ToList();
                if (!OnlyReachesRewrites(shape.Output[0], rewritten, [.. readSources.Select(Find)]))
                    foreach (var source in readSources)
                        HoldOnce(source, tensor, reason);
            }
        }

        private static List<int> Rewritten(Dictionary<(string, int), List<int>> rewritten, (string, int) key) =>
            rewritten.TryGetValue(key, out var list) ? list : rewritten[key] = [];

        /// <summary>True when every path of shape arithmetic from <paramref name="value"/> ends in an input surgery rewrites for one of <paramref name="roots"/>.</summary>
        private bool OnlyReachesRewrites(string value, Dictionary<(string Node, int Input), List<int>> rewritten, HashSet<int> roots)
        {
            var pending = new Stack<string>([value]);
            var seen = new HashSet<string>();
            while (pending.TryPop(out var current))
            {
                if (graph.IsOutput(current))
                    return false;
                if (!seen.Add(current))
                    continue;
                foreach (var reader in graph.ReadersOf(current))
                {
                    for (var i = 0; i < reader.Input.Count; i++)
                    {
                        if (reader.Input[i] != current)
                            continue;
                        if (rewritten.TryGetValue((reader.Output[0], i), out var owners) && owners.Any(o => roots.Contains(Find(o))))
                            continue;
                        if (reader.Output.Any(o => !shapes.Values.ContainsKey(o)))
                            return false;
                        foreach (var output in reader.Output)
                            pending.Push(output);
                    }
                }
            }
            return true;
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
                    [.. splitParts.Where(p => members.Contains(p.Source)).Select(p => p.Part).Distinct()],
                    // One site per source: parts of one fused projection (Q, K and V) each shrink the axis they share.
                    [.. reshapeSites.Where(r => members.Contains(r.Source)).Select(r => r.Site)],
                    [.. sliceSites.Where(r => members.Contains(r.Source)).Select(r => r.Site).Distinct()],
                    [.. scaledCosts.Where(r => members.Contains(r.Source)).Select(r => r.Cost)]));
            }
            return new ChannelAnalysis(groups, [.. held.Select(h => new HeldTensor(h.Key, h.Value))]);
        }

        /// <param name="Divided">Cut into parts by <see cref="Divide"/>: the parts stand for it from then on.</param>
        /// <param name="Origin">The node that made the channels; a part names the indices of its output it holds ("qkv[32:64]").</param>
        /// <param name="Start">The part's first index in that output.</param>
        /// <param name="Unit">Indices of that output per channel (head_dim once channels are heads).</param>
        /// <param name="Together">Consecutive channels removed only together (a grouped Conv's group; see <see cref="RemoveTogether"/>).</param>
        /// <param name="TogetherBy">The node that needs <paramref name="Together"/>.</param>
        private sealed record Source(string Name, long Channels, string? HeldReason, bool Divided = false, string? Origin = null, long Start = 0, long Unit = 1,
            long Together = 1, string? TogetherBy = null);

        private int NewPart(Source whole, long start, long size, string? heldReason)
        {
            var origin = whole.Origin ?? whole.Name;
            var first = whole.Start + (start * whole.Unit);
            var part = NewSource($"{origin}[{first}:{first + (size * whole.Unit)}]", size, heldReason);
            sources[part] = sources[part] with { Origin = origin, Start = first, Unit = whole.Unit, Together = whole.Together, TogetherBy = whole.TogetherBy };
            return part;
        }
    }
}
