using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>
/// Channel rules for attention heads, shared by Reshape, Transpose, Squeeze, MatMul, Einsum and the broadcasting
/// operators: a Reshape that splits the channel axis into heads × head_dim makes each head one channel (the
/// channel axis then holds the heads, <see cref="ChannelLayout.Within"/> the head_dim), products between
/// activations that carry the same heads on a batch axis pair head with head, and a Reshape that merges heads
/// and head_dim back gives each head a block of head_dim columns for the output projection to read.
/// </summary>
internal static class HeadRules
{
    /// <summary>
    /// [.., C] → [.., H, d] or [.., k, H, d] (a fused projection: k parts of H heads), or, with the batch before the
    /// channels, [.., N, C] → [.., N·H, d] (heads folded into the batch). False when the Reshape is none of these.
    /// </summary>
    public static bool SplitIntoHeads(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        var input = walk.Shapes[node.Input[0]];
        var output = walk.Shapes[node.Output[0]];
        var a = x.Axis;
        if (x.Spread || x.Block != 1 || a != input.Length - 1 || output.Length <= a)
            return false;
        var width = input[a];
        var tail = output[a..];
        int axis;
        var outer = -1;
        var batched = false;
        long unit;
        if (output.Length > input.Length && input.AsSpan(0, a).SequenceEqual(output.AsSpan(0, a)) && tail.Length is 2 or 3 && tail.All(d => d > 0) && Product(tail) == width)
        {
            (unit, axis) = (tail[^1], output.Length - 2);
            if (tail.Length == 3)
                outer = a;
        }
        else if (a >= 1 && output.Length == input.Length && input.AsSpan(0, a - 1).SequenceEqual(output.AsSpan(0, a - 1)) && input[a - 1] < 0 && output[a - 1] < 0
            && output[a] > 0 && output[a] < width && width % output[a] == 0)
        {
            (unit, axis, batched) = (output[a], a - 1, true);
        }
        else
        {
            return false;
        }
        if (!walk.Coarsen(x, unit))
            return false;
        var heads = new ChannelLayout(axis, [.. walk.Layout(node.Input[0])!.Segments.Select(s => s with { Block = 1, GateBlock = 1 })], null, axis)
        {
            Within = [output.Length - 1],
            Outer = outer,
            Batched = batched,
        };
        walk.RecordReshape(heads, new ReshapeSite(node.Output[0], a, axis, 0));
        walk.SetLayout(node.Output[0], heads);
        return true;
    }

    /// <summary>
    /// [.., H, d, ..] → [.., H·d, ..] (or, heads folded into the batch, [.., N·H, d] → [.., H·d]): each head owns a block of
    /// d indices, where the output projection reads them and a gate can scale them.
    /// </summary>
    public static bool MergeHeads(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        var input = walk.Shapes[node.Input[0]];
        var output = walk.Shapes[node.Output[0]];
        var a = x.Axis;
        if (x.Outer >= 0 || x.Block != 1 || x.Within.Count == 0 || !x.Within.SequenceEqual(Enumerable.Range(a + 1, x.Within.Count)))
            return false;
        var inner = Product(x.Within.Select(w => input[w]));
        var channels = x.Segments.Sum(s => walk.Channels(s.Source));
        int axis;
        if (!x.Batched)
        {
            var rest = input.AsSpan(a + 1 + x.Within.Count);
            if (inner <= 0 || output.Length != a + 1 + rest.Length || !input.AsSpan(0, a).SequenceEqual(output.AsSpan(0, a)) || output[a] != channels * inner
                || !rest.SequenceEqual(output.AsSpan(a + 1)))
                return false;
            axis = a;
        }
        else
        {
            if (inner <= 0 || a + x.Within.Count != input.Length - 1 || output[^1] != channels * inner)
                return false;
            axis = output.Length - 1;
        }
        var merged = new ChannelLayout(axis, [.. x.Segments.Select(s => s with { Block = inner, GateBlock = inner })], node.Output[0], axis)
        {
            GateRows = FoldedRows(input, output),
        };
        walk.RecordReshape(x, new ReshapeSite(node.Output[0], a, axis, 0));
        walk.SetLayout(node.Output[0], merged);
        return true;
    }

    /// <summary>
    /// Where the output's first axis folds other rows in with the batch (ViT's [T, N·H, d] → [T·N, H·d]): the rows per example
    /// before each example's (the known axes in front of the input's batch axis) and after it; (1, 1) when it is the batch.
    /// </summary>
    private static (int Before, int After) FoldedRows(long[] input, long[] output)
    {
        var batchAxis = Array.FindIndex(input, d => d < 0);
        if (output[0] >= 0 || batchAxis < 0 || -output[0] == 1)
            return (1, 1);
        var rows = -output[0];
        var before = Product(input.Take(batchAxis));
        return before > 0 && rows % before == 0 ? ((int)before, (int)(rows / before)) : (1, 1);
    }

    /// <summary>The layout after a permutation of the axes (output axis i is input axis perm[i]).</summary>
    public static ChannelLayout Permuted(ChannelLayout x, string output, long[] perm)
    {
        int Map(int axis) => Array.IndexOf(perm, (long)axis);
        return (x with { Within = [.. x.Within.Select(Map)], Outer = x.Outer < 0 ? -1 : Map(x.Outer) }).GatedAt(output, Map(x.Axis));
    }

    /// <summary>The layout after axes are inserted or removed (<paramref name="map"/>: input axis → output axis, −1 when removed); null when the channel axis goes.</summary>
    public static ChannelLayout? Remapped(ChannelLayout x, string output, Func<int, int> map)
    {
        var axis = map(x.Axis);
        if (axis < 0)
            return null;
        var remapped = x with { Within = [.. x.Within.Select(map).Where(w => w >= 0)], Outer = x.Outer < 0 ? -1 : map(x.Outer) };
        return x.Block == 1 ? remapped.GatedAt(output, axis) : remapped with { Axis = axis, GateTensor = remapped.Spread ? null : remapped.GateTensor };
    }

    /// <summary>
    /// MatMul of two activations that carry the same channels on the same batch axis (attention's scores Q·Kᵀ and
    /// its values P·V, one product per head): heads pair with heads; the product's FLOPs shrink with them.
    /// </summary>
    public static bool MatMulOfActivations(NodeProto node, ChannelGroupAnalysis.Walk walk)
    {
        if (walk.Layout(node.Input[0]) is not { } a || walk.Layout(node.Input[1]) is not { } b)
            return false;
        var rank = walk.Rank(node.Input[0]);
        if (walk.Rank(node.Input[1]) != rank || a.Axis != b.Axis || a.Axis >= rank - 2 || a.Batched != b.Batched || a.Outer >= 0 || b.Outer >= 0
            || a.Block != 1 || b.Block != 1 || a.Within.Concat(b.Within).Any(w => w < rank - 2)
            || a.Within.Contains(rank - 1) != b.Within.Contains(rank - 2))
            return false;
        List<int> within = [];
        if (a.Within.Contains(rank - 2))
            within.Add(rank - 2);
        if (b.Within.Contains(rank - 1))
            within.Add(rank - 1);
        return Paired(node, walk, [a, b], a with { Within = within });
    }

    /// <summary>Einsum over activations: the channel letter must be the same in every tracked operand and kept; a summed letter is inside a channel in all of them or in none.</summary>
    public static bool EinsumOfActivations(NodeProto node, ChannelGroupAnalysis.Walk walk, IReadOnlyList<string> terms, string result)
    {
        var tracked = node.Input.Select((name, i) => (Layout: walk.Layout(name), Term: terms[i], Shape: walk.Shapes[name])).ToList();
        var layouts = tracked.Where(t => t.Layout is not null).ToList();
        if (layouts.Any(t => t.Layout!.Outer >= 0 || t.Layout.Block != 1 || t.Layout.Batched != layouts[0].Layout!.Batched))
            return false;
        var letter = layouts[0].Term[layouts[0].Layout!.Axis];
        if (layouts.Any(t => t.Term[t.Layout!.Axis] != letter) || !result.Contains(letter)
            || tracked.Any(t => t.Layout is null && t.Term.IndexOf(letter) is var at && at >= 0 && t.Shape[at] != 1))
            return false;
        var within = layouts.SelectMany(t => t.Layout!.Within.Select(w => t.Term[w])).ToHashSet();
        if (layouts.Any(t => t.Term.Any(c => within.Contains(c) != t.Layout!.Within.Any(w => t.Term[w] == c))))
            return false;
        var axis = result.IndexOf(letter);
        var layout = layouts[0].Layout! with { Axis = axis, Within = [.. result.Select((c, i) => (c, i)).Where(p => within.Contains(p.c)).Select(p => p.i)] };
        return Paired(node, walk, [.. layouts.Select(t => t.Layout!)], layout);
    }

    private static bool Paired(NodeProto node, ChannelGroupAnalysis.Walk walk, List<ChannelLayout> operands, ChannelLayout result)
    {
        if (!walk.Align(operands))
            return false;
        result = result.GatedAt(node.Output[0], result.Axis);
        if (operands.Count > 1)
            walk.RecordScaledCost(result, node);
        walk.SetLayout(node.Output[0], result);
        return true;
    }

    /// <summary>
    /// Add, Sub, Mul, Div on spread channels: tracked operands carry them the same way; the others broadcast over the
    /// channel and outer axes (a mask [N, 1, 1, T] over the scores, a scale).
    /// </summary>
    public static bool Broadcast(NodeProto node, ChannelGroupAnalysis.Walk walk)
    {
        var output = walk.Shapes[node.Output[0]];
        var spread = node.Input.Where(i => walk.Layout(i) is { Spread: true }).Distinct().ToList();
        var x = walk.Layout(spread[0])!;
        var tracked = spread.Select(i => walk.Layout(i)!).ToList();
        if (spread.Any(i => walk.Rank(i) != output.Length)
            || tracked.Any(l => l.Axis != x.Axis || l.Outer != x.Outer || l.Batched != x.Batched || l.Block != x.Block || !l.Within.SequenceEqual(x.Within)))
            return false;
        var others = node.Input.Where(i => i != "" && !spread.Contains(i)).Distinct().ToList();
        foreach (var operand in others)
        {
            var shape = walk.Shapes[operand];
            var offset = output.Length - shape.Length;
            if (new[] { x.Axis, x.Outer }.Any(axis => axis - offset >= 0 && shape[axis - offset] != 1))
                return false;
        }
        if (!walk.Align(tracked))
            return false;
        // A mask tracked from the graph's inputs is applied alike to every head: its own channels are held.
        foreach (var operand in others.Where(walk.IsTracked))
            walk.Hold(walk.Layout(operand)!, operand, $"{node.OpType} '{node.DisplayName()}' applies it alike to every attention head");
        walk.SetLayout(node.Output[0], x with { GateTensor = null, GateReader = null });
        return true;
    }

    private static long Product(IEnumerable<long> dims) => dims.Aggregate(1L, (p, d) => p * d);
}
