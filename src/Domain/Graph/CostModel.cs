using System.Runtime.CompilerServices;
using Onnx;
using Shears.Domain.Onnx;
using Shears.Domain.Operators;

namespace Shears.Domain.Graph;

/// <summary>
/// Counts parameters and FLOPs of a graph, also for a hypothetical pruning state (some channels of
/// some groups removed), without touching any tensor: every count is a product of initializer
/// extents, and a group's removed channels shrink the extents of its member slices.
/// Built once per (graph, groups); <see cref="Measure(IReadOnlyDictionary{int, int}?)"/> costs
/// microseconds, so a search may call it after every candidate removal.
/// </summary>
/// <remarks>
/// Parameters are the float graph initializers of rank ≥ 1 that are trained (<see cref="InitializerRoles"/>:
/// not BatchNormalization running statistics, bounds or pad values) and not Constant-node values —
/// the count <c>sum(p.numel() for p in model.parameters())</c> gives for a PyTorch export.
/// FLOPs: what each operator's <see cref="OperatorFacts"/> counts per example (a symbolic batch counts as 1):
/// 2 × multiply-adds of Conv/Gemm/MatMul, with weights or between activations.
/// </remarks>
public sealed class CostModel
{
    private static readonly ConditionalWeakTable<OnnxGraph, Cache> Models = [];

    private readonly IReadOnlyList<ChannelGroup> groups;
    private readonly WeightTensor[] tensors;
    private readonly NodeCost[] nodes;
    private readonly int nodeCount;

    private CostModel(OnnxGraph graph, IReadOnlyList<ChannelGroup> groups)
    {
        this.groups = groups;
        var index = new Dictionary<string, int>();
        var tensorList = new List<WeightTensor>();
        int TensorIndex(string name)
        {
            if (!index.TryGetValue(name, out var i))
            {
                index[name] = i = tensorList.Count;
                tensorList.Add(new WeightTensor(OnnxTensors.Dims(graph.Initializers[name]), false, []));
            }
            return i;
        }

        foreach (var name in ParameterNames(graph))
            tensorList[TensorIndex(name)] = tensorList[TensorIndex(name)] with { IsParameter = true };
        for (var g = 0; g < groups.Count; g++)
            foreach (var slice in groups[g].Members)
                tensorList[TensorIndex(slice.Initializer)].Shrinks.Add(new Shrink(g, slice.Axis, slice.BlockSize));

        var scaled = groups.SelectMany((g, index) => (g.ScaledCosts ?? []).Select(c => (c.Node, Share: new Share(index, c.Total))))
            .GroupBy(c => c.Node).ToDictionary(c => c.Key, c => c.Select(s => s.Share).ToArray());
        var costs = new List<NodeCost>();
        for (var n = 0; n < graph.Nodes.Count; n++)
        {
            var node = graph.Nodes[n];
            if (OperatorRegistry.Find(node)?.Cost?.Invoke(node, graph) is { } count)
                costs.Add(count.Weight is { } weight ? new NodeCost(n, TensorIndex(weight), count.PerWeight, 0, [], count.OutputAxis, count.WeightsPerRead)
                    : new NodeCost(n, -1, 0, count.Fixed, scaled.GetValueOrDefault(node.Output[0], []), -1, 0));
        }
        tensors = [.. tensorList];
        nodes = [.. costs];
        nodeCount = graph.Nodes.Count;
    }

    /// <summary>The cost model of a graph under a set of groups (cached per graph and groups list).</summary>
    public static CostModel For(OnnxGraph graph, IReadOnlyList<ChannelGroup> groups)
    {
        var cache = Models.GetValue(graph, _ => new Cache());
        lock (cache)
        {
            if (!ReferenceEquals(cache.Groups, groups) || cache.Model is null)
                (cache.Groups, cache.Model) = (groups, new CostModel(graph, groups));
            return cache.Model;
        }
    }

    /// <summary>Cost of <paramref name="graph"/> with group g keeping keptChannels[g] channels (all when absent).</summary>
    public static CostMeasurement Measure(OnnxGraph graph, IReadOnlyList<ChannelGroup> groups, IReadOnlyDictionary<int, int>? keptChannels) =>
        For(graph, groups).Measure(keptChannels);

    public CostMeasurement Measure(IReadOnlyDictionary<int, int>? keptChannels)
    {
        Span<long> removed = groups.Count <= 512 ? stackalloc long[groups.Count] : new long[groups.Count];
        for (var g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            var kept = keptChannels is not null && keptChannels.TryGetValue(group.Id, out var k) ? k : group.Channels;
            if (kept < 0 || kept > group.Channels)
                throw new ArgumentOutOfRangeException(nameof(keptChannels), $"Group {group.Id} ({group.Name}) has {group.Channels} channels; cannot keep {kept}.");
            removed[g] = group.Channels - kept;
        }

        Span<long> sizes = tensors.Length <= 1024 ? stackalloc long[tensors.Length] : new long[tensors.Length];
        long parameters = 0;
        for (var t = 0; t < tensors.Length; t++)
        {
            sizes[t] = tensors[t].Elements(removed);
            if (tensors[t].IsParameter)
                parameters += sizes[t];
        }

        var nodeFlops = new long[nodeCount];
        long flops = 0, traffic = 0;
        foreach (var cost in nodes)
        {
            var value = cost.Weight >= 0 ? checked(2 * sizes[cost.Weight] * cost.PerWeight) : cost.Fixed;
            foreach (var share in cost.Shares)
                value -= checked(cost.Fixed * removed[share.Group] / share.Total);
            nodeFlops[cost.Node] = value;
            flops += value;
            if (cost.OutputAxis >= 0 && tensors[cost.Weight].Extent(cost.OutputAxis, removed) is var outputs and > 0)
                traffic += checked(cost.PerWeight * (outputs + sizes[cost.Weight] / (cost.WeightsPerRead > 0 ? cost.WeightsPerRead : outputs)));
        }
        return new CostMeasurement(parameters, flops, nodeFlops, traffic);
    }

    /// <summary>Parameters of the unpruned graph; needs no shapes, so it works for graphs with unsupported operators.</summary>
    public static long CountParameters(OnnxGraph graph) =>
        ParameterNames(graph).Sum(name => OnnxTensors.ElementCount(graph.Initializers[name]));

    private static IEnumerable<string> ParameterNames(OnnxGraph graph)
    {
        var roles = InitializerRoles.Of(graph);
        return graph.Model.Graph.Initializer
            .Where(t => (TensorProto.Types.DataType)t.DataType is TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Double
                or TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16)
            .Where(t => t.Dims.Count > 0 && roles.GetValueOrDefault(t.Name, InitializerRole.Parameter) == InitializerRole.Parameter)
            .Select(t => t.Name);
    }

    private sealed class Cache
    {
        public IReadOnlyList<ChannelGroup>? Groups;
        public CostModel? Model;
    }

    /// <summary>Removing a channel of the group at position <paramref name="Group"/> in the list takes BlockSize indices off Axis.</summary>
    private readonly record struct Shrink(int Group, int Axis, int BlockSize);

    private sealed record WeightTensor(long[] Dims, bool IsParameter, List<Shrink> Shrinks)
    {
        public long Elements(ReadOnlySpan<long> removed)
        {
            Span<long> extents = stackalloc long[Dims.Length];
            Dims.CopyTo(extents);
            foreach (var shrink in Shrinks)
                extents[shrink.Axis] -= removed[shrink.Group] * shrink.BlockSize;
            long product = 1;
            foreach (var extent in extents)
                product *= Math.Max(extent, 0);
            return product;
        }

        /// <summary>The extent of <paramref name="axis"/> with the removed channels taken off.</summary>
        public long Extent(int axis, ReadOnlySpan<long> removed)
        {
            var extent = Dims[axis];
            foreach (var shrink in Shrinks)
                if (shrink.Axis == axis)
                    extent -= removed[shrink.Group] * shrink.BlockSize;
            return Math.Max(extent, 0);
        }
    }

    /// <summary>
    /// FLOPs = 2 × elements(Weight) × PerWeight, or Fixed when Weight is -1, less Fixed/Total for each channel removed from
    /// a group that shares the node's channel axis (a product between activations, once per head). Traffic (OutputAxis ≥ 0):
    /// see <see cref="Operators.FlopCount"/>.
    /// </summary>
    private readonly record struct NodeCost(int Node, int Weight, long PerWeight, long Fixed, Share[] Shares, int OutputAxis, long WeightsPerRead);

    /// <summary>The group at position <paramref name="Group"/> holds some of the <paramref name="Total"/> channels a node's cost is spread over.</summary>
    private readonly record struct Share(int Group, long Total);
}
