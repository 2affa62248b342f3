using Onnx;
using Shears.Domain.Onnx;

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

    private sealed class Walk(OnnxGraph graph)
    {
        private readonly TensorShapes shapes = graph.Shapes;
        private readonly Dictionary<string, ChannelLayout> layouts = [];
        private readonly List<Source> sources = [];
        private readonly List<int> parent = [];
        private readonly List<(int Source, ParameterSlice Slice)> slices = [];
        private readonly List<(int Source, GateSite Site)> gates = [];
        private readonly Dictionary<string, string> held = [];
        private readonly HashSet<string> frozen = [];

        public ChannelAnalysis Run()
        {
            var inputShape = shapes[graph.InputName];
            var inputAxis = inputShape.Length >= 2 ? 1 : 0;
            const string inputReason = "the graph input's channels are never pruned";
            layouts[graph.InputName] = new ChannelLayout(inputAxis,
                [new ChannelSegment(NewSource(graph.InputName, inputShape[inputAxis], inputReason), 1)], graph.InputName, inputAxis);
            held[graph.InputName] = inputReason;

            foreach (var node in graph.Nodes)
                if (node.Input.Any(layouts.ContainsKey))
                    Visit(node);

            if (layouts.TryGetValue(graph.OutputName, out var output))
                Hold(output, graph.OutputName, "it is the graph output");
            ResolveSharedInitializers();
            return Build();
        }

        private void Visit(NodeProto node)
        {
            var x = layouts.GetValueOrDefault(node.Input[0]);
            switch (node.OpType)
            {
                case "Conv" when x is not null: Conv(node, x); break;
                case "Gemm" when x is not null: Gemm(node, x); break;
                case "MatMul" when x is not null && IsFloatInitializer(node.InputOrEmpty(1)): MatMul(node, x); break;
                case "Add" or "Sub" or "Mul" or "Div": Broadcasting(node); break;
                case "BatchNormalization" when x is not null: BatchNormalization(node, x); break;
                case "MaxPool" or "AveragePool" or "GlobalAveragePool" when x is not null: Pool(node, x); break;
                case "Flatten" when x is not null: Flatten(node, x, ShapeInference.Axis(node, node.IntAttribute("axis", 1), Rank(node.Input[0]) + 1)); break;
                case "Reshape" when x is not null: Reshape(node, x); break;
                case "Transpose" when x is not null: Transpose(node, x); break;
                case "Pad" when x is not null: Pad(node, x); break;
                case "Concat": Concat(node); break;
                case "Softmax" or "LogSoftmax" when x is not null: Softmax(node, x); break;
                case "Shape" when x is not null: Shape(node, x); break;
                case "Squeeze" or "Unsqueeze" when x is not null: Squeeze(node, x); break;
                case var op when SupportedOps.Elementwise.Contains(op) && x is not null: Elementwise(node, x); break;
                default: Opaque(node, $"{SupportedOps.Describe(node)} '{node.DisplayName()}' is not something Shears can prune through"); break;
            }
        }

        private void Conv(NodeProto node, ChannelLayout x)
        {
            var weight = node.InputOrEmpty(1);
            var group = node.IntAttribute("group", 1);
            var inChannels = shapes[node.Input[0]][1];
            if (x.Axis != 1 || x.Block != 1 || !IsFloatInitializer(weight) || !BiasIsSliceable(node.InputOrEmpty(2)))
            {
                Opaque(node, $"Conv '{node.DisplayName()}' reads its channels in a layout or from weights Shears cannot slice");
                return;
            }
            if (group == 1)
            {
                Consume(x, node.Input[0], weight, 1, node.Output[0]);
                Produce(node, [(weight, 0), (node.InputOrEmpty(2), 0)], Dims(weight)[0]);
            }
            else if (group == inChannels && Dims(weight)[0] == inChannels)
            {
                PassThrough(x, [(weight, 0), (node.InputOrEmpty(2), 0)]);
                layouts[node.Output[0]] = x.GatedAt(node.Output[0], 1);
            }
            else
            {
                Opaque(node, $"Conv '{node.DisplayName()}' is grouped (group={group}); its channels are tied in blocks Shears keeps whole");
            }
        }

        private void Gemm(NodeProto node, ChannelLayout x)
        {
            var weight = node.InputOrEmpty(1);
            var transB = node.IntAttribute("transB", 0) != 0;
            if (node.IntAttribute("transA", 0) != 0 || x.Axis != 1 || !IsFloatInitializer(weight) || !BiasIsSliceable(node.InputOrEmpty(2)))
            {
                Opaque(node, $"Gemm '{node.DisplayName()}' reads its features in a layout or from weights Shears cannot slice");
                return;
            }
            Consume(x, node.Input[0], weight, transB ? 1 : 0, node.Output[0]);
            var bias = node.InputOrEmpty(2);
            var biasAxis = bias != "" && Dims(bias).Length == 2 ? 1 : 0;
            Produce(node, [(weight, transB ? 0 : 1), (bias, biasAxis)], shapes[node.Output[0]][1]);
        }

        private void MatMul(NodeProto node, ChannelLayout x)
        {
            var weight = node.Input[1];
            if (x.Axis != Rank(node.Input[0]) - 1 || Dims(weight).Length != 2)
            {
                Opaque(node, $"MatMul '{node.DisplayName()}' does not read its features on the last axis");
                return;
            }
            Consume(x, node.Input[0], weight, 0, node.Output[0]);
            var output = node.Output[0];
            Produce(node, [(weight, 1)], shapes[output][^1], Rank(output) - 1);
        }

        /// <summary>Add/Sub/Mul/Div: tracked inputs must carry the same channels on the same output axis.</summary>
        private void Broadcasting(NodeProto node)
        {
            var output = shapes[node.Output[0]];
            var tracked = node.Input.Where(layouts.ContainsKey).Distinct().ToList();
            var axes = tracked.Select(t => layouts[t].Axis + output.Length - Rank(t)).Distinct().ToList();
            if (axes.Count != 1 || tracked.Any(t => shapes[t][layouts[t].Axis] != output[axes[0]]) || !Align([.. tracked.Select(t => layouts[t])]))
            {
                Opaque(node, $"{node.OpType} '{node.DisplayName()}' combines tensors whose channels do not line up");
                return;
            }
            var axis = axes[0];
            var x = layouts[tracked[0]];
            foreach (var operand in node.Input.Where(i => !layouts.ContainsKey(i)))
            {
                var rank = Rank(operand);
                var operandAxis = axis - (output.Length - rank);
                if (operandAxis < 0 || shapes[operand][operandAxis] == 1)
                    continue;
                if (!IsFloatInitializer(operand))
                {
                    Opaque(node, $"{node.OpType} '{node.DisplayName()}' mixes in '{operand}', computed per channel at run time");
                    return;
                }
                PassThrough(x, [(operand, operandAxis)]);
            }
            layouts[node.Output[0]] = x.Block == 1 ? x.GatedAt(node.Output[0], axis) : x with { Axis = axis, GateTensor = null };
        }

        /// <summary>Merges the sources of tensors that are combined element by element; false when their segments differ.</summary>
        private bool Align(List<ChannelLayout> operands)
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

        private void BatchNormalization(NodeProto node, ChannelLayout x)
        {
            var statistics = node.Input.Skip(1).Take(4).Select(i => (i, 0)).ToList();
            if (x.Axis != 1 || x.Block != 1 || statistics.Any(s => !IsFloatInitializer(s.i)))
            {
                Opaque(node, $"BatchNormalization '{node.DisplayName()}' has parameters Shears cannot slice");
                return;
            }
            PassThrough(x, statistics);
            layouts[node.Output[0]] = x.GatedAt(node.Output[0], 1);
        }

        private void Pool(NodeProto node, ChannelLayout x)
        {
            if (x.Axis != 1 || x.Block != 1 || node.Output.Skip(1).Any(o => o != "" && graph.ReadersOf(o).Count > 0))
            {
                Opaque(node, $"{node.OpType} '{node.DisplayName()}' does not pool over spatial axes only");
                return;
            }
            layouts[node.Output[0]] = x.GatedAt(node.Output[0], 1);
        }

        private void Elementwise(NodeProto node, ChannelLayout x)
        {
            var output = node.Output[0];
            layouts[output] = x.Block == 1 ? x.GatedAt(output, x.Axis)
                : node.OpType is "Identity" or "Dropout" or "Cast" or "Relu" ? x : x with { GateTensor = null };
        }

        /// <summary>Flatten at the channel axis: channel k of the result owns a block of (spatial size) features.</summary>
        private void Flatten(NodeProto node, ChannelLayout x, long axis)
        {
            var input = shapes[node.Input[0]];
            if (axis != 1 || x.Axis != 1)
            {
                Opaque(node, $"{node.OpType} '{node.DisplayName()}' does not flatten at the channel axis");
                return;
            }
            var spatial = input.Skip(2).Aggregate(1L, (a, d) => a * d);
            layouts[node.Output[0]] = new ChannelLayout(1, [.. x.Segments.Select(s => s with { Block = s.Block * spatial })],
                x.GateTensor, x.GateAxis, x.GateReader ?? node.Output[0]);
        }

        private void Reshape(NodeProto node, ChannelLayout x)
        {
            var input = shapes[node.Input[0]];
            var output = shapes[node.Output[0]];
            if (input.SequenceEqual(output))
                Elementwise(node, x);
            else if (output.Length == 2 && x.Axis == 1 && output[0] == input[0] && output[1] == input.Skip(1).Aggregate(1L, (a, d) => d < 0 ? -1 : a * d))
                Flatten(node, x, 1);
            else
                Opaque(node, $"Reshape '{node.DisplayName()}' to [{string.Join(",", output)}] is not a flatten; Shears cannot follow channels through it");
        }

        private void Transpose(NodeProto node, ChannelLayout x)
        {
            var perm = node.IntsAttribute("perm") ?? [.. Enumerable.Range(0, Rank(node.Input[0])).Reverse().Select(i => (long)i)];
            if (x.Block != 1)
            {
                Opaque(node, $"Transpose '{node.DisplayName()}' moves flattened channel blocks");
                return;
            }
            var axis = Array.IndexOf(perm, (long)x.Axis);
            layouts[node.Output[0]] = x.GatedAt(node.Output[0], axis);
        }

        private void Pad(NodeProto node, ChannelLayout x)
        {
            var rank = Rank(node.Input[0]);
            var pads = ShapeInference.PadAmounts(node, rank, shapes.Values);
            if (x.Block != 1 || pads[x.Axis] != 0 || pads[x.Axis + rank] != 0)
            {
                Opaque(node, $"Pad '{node.DisplayName()}' pads the channel axis");
                return;
            }
            layouts[node.Output[0]] = x.GatedAt(node.Output[0], x.Axis);
        }

        private void Concat(NodeProto node)
        {
            var output = node.Output[0];
            var axis = (int)ShapeInference.Axis(node, node.IntAttribute("axis", 0), Rank(output));
            var tracked = node.Input.Where(layouts.ContainsKey).Select(i => layouts[i]).ToList();
            if (tracked.Any(l => l.Block != 1 || l.Axis != axis))
            {
                if (tracked.All(l => l.Axis != axis) && tracked.Count == node.Input.Count && tracked.Select(l => l.Axis).Distinct().Count() == 1 && Align(tracked))
                    layouts[output] = tracked[0].GatedAt(output, tracked[0].Axis);
                else
                    Opaque(node, $"Concat '{node.DisplayName()}' joins tensors whose channels do not line up");
                return;
            }
            var segments = node.Input.SelectMany(i => layouts.TryGetValue(i, out var l)
                ? l.Segments
                : [new ChannelSegment(NewSource(i, shapes[i][axis], "it is a constant joined into the channels"), 1)]).ToList();
            layouts[output] = new ChannelLayout(axis, segments, output, axis);
        }

        private void Softmax(NodeProto node, ChannelLayout x)
        {
            var rank = Rank(node.Input[0]);
            var axis = ShapeInference.Axis(node, node.IntAttribute("axis", graph.Opset >= 13 ? -1 : 1), rank);
            if (axis == x.Axis || graph.Opset < 13 || x.Block != 1)
                Opaque(node, $"{node.OpType} '{node.DisplayName()}' normalizes over the channels");
            else
                Elementwise(node, x);
        }

        /// <summary>Reading a tensor's shape is harmless as long as nothing reads its channel count.</summary>
        private void Shape(NodeProto node, ChannelLayout x)
        {
            var start = node.IntAttribute("start", 0);
            var readers = graph.ReadersOf(node.Output[0]);
            var safe = start == 0 && node.IntAttribute("end", long.MaxValue) == long.MaxValue && readers.All(r =>
                r.OpType == "Gather" && r.Input[0] == node.Output[0] && shapes.Values.TryGetValue(r.InputOrEmpty(1), out var picks) && !picks.Contains(x.Axis));
            if (!safe)
                Hold(x, node.Input[0], $"its channel count is read by Shape '{node.DisplayName()}'");
        }

        private void Squeeze(NodeProto node, ChannelLayout x)
        {
            var input = shapes[node.Input[0]];
            var output = shapes[node.Output[0]];
            var axes = ShapeInference.SqueezeAxes(node, shapes.Values);
            int axis;
            if (node.OpType == "Squeeze")
            {
                var removed = axes?.Select(a => ShapeInference.Axis(node, a, input.Length)).ToHashSet()
                    ?? [.. Enumerable.Range(0, input.Length).Where(i => input[i] == 1).Select(i => (long)i)];
                axis = removed.Contains(x.Axis) ? -1 : x.Axis - removed.Count(a => a < x.Axis);
            }
            else
            {
                var inserted = axes!.Select(a => ShapeInference.Axis(node, a, output.Length)).ToHashSet();
                axis = Enumerable.Range(0, output.Length).Where(i => !inserted.Contains(i)).ElementAt(x.Axis);
            }
            if (axis < 0)
                Opaque(node, $"Squeeze '{node.DisplayName()}' removes the channel axis");
            else
                layouts[node.Output[0]] = x.Block == 1 ? x.GatedAt(node.Output[0], axis) : x with { Axis = axis };
        }

        /// <summary>An operator Shears cannot follow channels through: everything it reads or writes is held.</summary>
        private void Opaque(NodeProto node, string reason)
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
        private void Consume(ChannelLayout x, string tensor, string weight, int axis, string reader)
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

        private void PassThrough(ChannelLayout x, IEnumerable<(string Tensor, int Axis)> parameters)
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

        private void Produce(NodeProto node, IEnumerable<(string Tensor, int Axis)> parameters, long channels, int axis = 1)
        {
            var source = NewSource(node.DisplayName(), channels, null);
            foreach (var (tensor, parameterAxis) in parameters.Where(p => p.Tensor != ""))
                slices.Add((source, new ParameterSlice(tensor, parameterAxis, 0, 1, SliceRole.Producer)));
            layouts[node.Output[0]] = new ChannelLayout(axis, [new ChannelSegment(source, 1)], node.Output[0], axis);
        }

        private bool BiasIsSliceable(string bias) => bias == "" || (IsFloatInitializer(bias) && Dims(bias).Count(d => d != 1) <= 1 && Dims(bias).Length <= 2);

        private bool IsFloatInitializer(string tensor) =>
            graph.Initializers.TryGetValue(tensor, out var t) && (TensorProto.Types.DataType)t.DataType == TensorProto.Types.DataType.Float;

        private long[] Dims(string initializer) => OnnxTensors.Dims(graph.Initializers[initializer]);

        private int Rank(string tensor) => shapes[tensor].Length;

        private long Channels(int source) => sources[source].Channels;

        private int NewSource(string name, long channels, string? heldReason)
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

        private void Hold(ChannelLayout layout, string tensor, string reason)
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
            var roots = Enumerable.Range(0, sources.Count).Where(s => Find(s) == s && sources[s].HeldReason is null).ToList();
            var groups = new List<ChannelGroup>();
            foreach (var root in roots)
            {
                var id = groups.Count;
                var members = Enumerable.Range(0, sources.Count).Where(s => Find(s) == root).ToHashSet();
                var names = members.Order().Select(s => sources[s].Name).ToList();
                var name = names.Count <= 3 ? string.Join("+", names) : $"{string.Join("+", names.Take(3))}+{names.Count - 3} more";
                groups.Add(new ChannelGroup(id, name, (int)Channels(root),
                    [.. slices.Where(s => members.Contains(s.Source)).Select(s => s.Slice).Distinct()],
                    [.. gates.Where(g => members.Contains(g.Source)).Select(g => g.Site).Distinct()]));
            }
            return new ChannelAnalysis(groups, [.. held.Select(h => new HeldTensor(h.Key, h.Value))]);
        }

        private sealed record Source(string Name, long Channels, string? HeldReason);
    }
}
