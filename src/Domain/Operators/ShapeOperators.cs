using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>
/// Operators that move data without arithmetic, and the shape arithmetic exporters emit
/// (x.view(x.size(0), -1) exports Shape → Gather → Unsqueeze → Concat → Reshape), evaluated statically.
/// </summary>
internal static class ShapeOperators
{
    public static IEnumerable<OperatorFacts> All =>
    [
        new("Constant", (_, _) => { }, ChannelRules.Opaque),
        new("Flatten", FlattenShape, ChannelRules.OnFirstInput((node, walk, x) =>
            Flatten(node, walk, x, ShapeInference.Axis(node, node.IntAttribute("axis", 1), walk.Rank(node.Input[0]) + 1)))),
        new("Reshape", ReshapeShape, ChannelRules.OnFirstInput(ReshapeChannels), constantInputs: [1], followsHeads: true),
        new("Transpose", TransposeShape, ChannelRules.OnFirstInput(TransposeChannels), followsHeads: true),
        new("Slice", SliceShape, ChannelRules.OnFirstInput(SliceChannels), constantInputs: [1, 2, 3, 4]),
        new("Pad", PadShape, ChannelRules.OnFirstInput(PadChannels), constantInputs: [1, 2, 3]),
        new("Concat", ConcatShape, ConcatChannels),
        new("Shape", ShapeShape, ChannelRules.OnFirstInput(ShapeChannels), followsHeads: true),
        new("ConstantOfShape", ConstantOfShapeShape, ChannelRules.Opaque, constantInputs: [0]),
        new("Range", RangeShape, ChannelRules.Opaque, constantInputs: [0, 1, 2]),
        new("Gather", GatherShape, GatherChannels, constantInputs: [1], followsHeads: true, producesFromInitializers: true),
        new("Unsqueeze", UnsqueezeShape, ChannelRules.OnFirstInput(SqueezeChannels), constantInputs: [1], followsHeads: true),
        new("Squeeze", SqueezeShape, ChannelRules.OnFirstInput(SqueezeChannels), constantInputs: [1], followsHeads: true),
        new("Cast", CastShape, ChannelRules.Elementwise, followsHeads: true),
    ];

    private static void FlattenShape(NodeProto node, ShapeContext c)
    {
        var x = c.Shape(node, 0);
        var axis = (int)ShapeInference.Axis(node, node.IntAttribute("axis", 1), x.Length + 1);
        c.Set(node, [ShapeInference.Product(x[..axis]), ShapeInference.Product(x[axis..])]);
    }

    /// <summary>Flatten at the channel axis: channel k of the result owns a block of (spatial size) features.</summary>
    private static void Flatten(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x, long axis)
    {
        var input = walk.Shapes[node.Input[0]];
        if (axis != 1 || x.Axis != 1)
        {
            walk.Opaque(node, $"{node.OpType} '{node.DisplayName()}' does not flatten at the channel axis");
            return;
        }
        var spatial = input.Skip(2).Aggregate(1L, (a, d) => a * d);
        walk.SetLayout(node.Output[0], new ChannelLayout(1, [.. x.Segments.Select(s => s with { Block = s.Block * spatial })],
            x.GateTensor, x.GateAxis, x.GateReader ?? node.Output[0]));
    }

    private static void ReshapeShape(NodeProto node, ShapeContext c)
    {
        var input = c.Shape(node, 0);
        var target = c.RequiredValue(node, 1, "target shape");
        var allowZero = node.IntAttribute("allowzero", 0) != 0;
        var result = new long[target.Length];
        var inferred = -1;
        for (var i = 0; i < target.Length; i++)
        {
            result[i] = target[i] switch
            {
                0 when !allowZero => i < input.Length ? input[i] : throw new InvalidModelException($"Reshape '{node.DisplayName()}' copies dimension {i}, which its input does not have."),
                TensorShapes.SymbolicValue => -1,
                -1 when inferred < 0 => 0,
                < 0 => throw new InvalidModelException($"Reshape '{node.DisplayName()}' has an invalid target dimension {target[i]}."),
                _ => target[i],
            };
            if (target[i] == -1)
                inferred = i;
        }

        var known = input.Where(d => d >= 0).Aggregate(1L, (a, d) => checked(a * d));
        var knownOut = result.Where((d, i) => d >= 0 && i != inferred).Aggregate(1L, (a, d) => checked(a * d));
        var symbolicIn = input.Count(d => d < 0);
        var symbolicOut = result.Count(d => d < 0);
        if (inferred >= 0)
        {
            // The inferred dimension takes the batch along (heads folded into it): the fixed factors need not divide then.
            if (knownOut == 0 || (symbolicIn <= symbolicOut && known % knownOut != 0))
                throw new InvalidModelException($"Reshape '{node.DisplayName()}' cannot reshape [{string.Join(",", input)}] to [{string.Join(",", target.Select(Show))}].");
            result[inferred] = symbolicIn > symbolicOut ? -1 : known / knownOut;
        }
        else if (symbolicIn == 0 && symbolicOut == 0 && known != knownOut)
        {
            // With the batch on both sides fixed factors may move between it and the rest (attention: [T, N, 64] → [T, N·4, 16]),
            // which a symbolic dimension does not record; the engine's first run checks the real sizes.
            throw new InvalidModelException($"Reshape '{node.DisplayName()}' cannot reshape [{string.Join(",", input)}] to [{string.Join(",", target.Select(Show))}].");
        }
        // One batch dimension on each side: the output's takes along whatever fixed factors the input's batch dimension had
        // and the others do not keep ([T, N, 64] → [T, N·4, 16] → [N·4·T·16 / 64…]): −k stands for k × the batch.
        if (symbolicIn == 1 && result.Count(d => d < 0) == 1)
        {
            var perExample = TensorShapes.ElementsPerExample(input);
            var fixedOut = TensorShapes.ElementsPerExample([.. result.Where(d => d >= 0)]);
            var at = Array.FindIndex(result, d => d < 0);
            result[at] = perExample % fixedOut == 0 ? -(perExample / fixedOut) : -1;
        }
        c.Set(node, result, c.Value(node, 0));
    }

    private static string Show(long value) => value == TensorShapes.SymbolicValue ? "batch" : value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void ReshapeChannels(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        var input = walk.Shapes[node.Input[0]];
        var output = walk.Shapes[node.Output[0]];
        if (input.SequenceEqual(output))
            ChannelRules.PassElementwise(node, walk, x);
        else if (x.Spread)
        {
            if (!HeadRules.MergeHeads(node, walk, x))
                walk.Opaque(node, $"Reshape '{node.DisplayName()}' to [{string.Join(",", output)}] does not merge attention heads back into channels");
        }
        else if (output.Length == 2 && x.Axis == 1 && output[0] == input[0] && output[1] == input.Skip(1).Aggregate(1L, (a, d) => d < 0 ? -1 : a * d))
            Flatten(node, walk, x, 1);
        else if (x.Block == 1 && x.Axis < output.Length && input.Take(x.Axis + 1).SequenceEqual(output.Take(x.Axis + 1)) && x.Axis < input.Length - 1)
            walk.SetLayout(node.Output[0], x.GatedAt(node.Output[0], x.Axis)); // regroups the axes after the channels (ViT's patches: [N, C, H, W] → [N, C, H·W])
        else if (x.Block == 1 && x.Axis == input.Length - 1 && output.Length >= 2 && output[^1] == input[^1])
            walk.SetLayout(node.Output[0], x.GatedAt(node.Output[0], output.Length - 1)); // regroups the leading axes (tokens, batch), channels last
        else if (!HeadRules.SplitIntoHeads(node, walk, x))
            walk.Opaque(node, $"Reshape '{node.DisplayName()}' to [{string.Join(",", output)}] is not a flatten; Shears cannot follow channels through it");
    }

    private static long[] Permutation(NodeProto node, int rank) =>
        node.IntsAttribute("perm") ?? [.. Enumerable.Range(0, rank).Reverse().Select(i => (long)i)];

    private static void TransposeShape(NodeProto node, ShapeContext c)
    {
        var x = c.Shape(node, 0);
        var perm = Permutation(node, x.Length);
        if (perm.Length != x.Length || perm.Distinct().Count() != x.Length || perm.Any(p => p < 0 || p >= x.Length))
            throw new InvalidModelException($"Transpose '{node.DisplayName()}' has a permutation that does not fit its rank-{x.Length} input.");
        c.Set(node, [.. perm.Select(p => x[p])], c.Value(node, 0) is { } values && x.All(d => d >= 0)
            ? ShapeArithmetic.Transpose(values, x, perm)
            : null);
    }

    private static void TransposeChannels(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        if (x.Block != 1)
        {
            walk.Opaque(node, $"Transpose '{node.DisplayName()}' moves flattened channel blocks");
            return;
        }
        walk.SetLayout(node.Output[0], HeadRules.Permuted(x, node.Output[0], Permutation(node, walk.Rank(node.Input[0]))));
    }

    private static void SliceShape(NodeProto node, ShapeContext c)
    {
        var x = c.Shape(node, 0);
        var fromAttributes = node.Has("starts");
        var starts = fromAttributes ? node.IntsAttribute("starts")! : c.RequiredValue(node, 1, "starts");
        var ends = fromAttributes ? node.IntsAttribute("ends")! : c.RequiredValue(node, 2, "ends");
        var axes = fromAttributes ? node.IntsAttribute("axes") : node.InputOrEmpty(3) == "" ? null : c.RequiredValue(node, 3, "axes");
        var steps = fromAttributes || node.InputOrEmpty(4) == "" ? null : c.RequiredValue(node, 4, "steps");
        var (shape, firsts, strides) = ShapeArithmetic.Slice(node, x, starts, ends, axes, steps);
        c.Set(node, shape, c.Value(node, 0) is { } values && shape.All(d => d >= 0) && x.All(d => d >= 0)
            ? ShapeArithmetic.SliceValues(values, x, shape, firsts, strides)
            : null);
    }

    /// <summary>Starts, ends, axes and steps of a Slice (attributes before opset 10, inputs after); null when one is computed at run time.</summary>
    public static (long[] Starts, long[] Ends, long[]? Axes, long[]? Steps)? SliceArguments(NodeProto node, IReadOnlyDictionary<string, long[]> values)
    {
        if (node.Has("starts"))
            return (node.IntsAttribute("starts")!, node.IntsAttribute("ends")!, node.IntsAttribute("axes"), null);
        long[]? Optional(int input) => node.InputOrEmpty(input) == "" ? null : values.GetValueOrDefault(node.Input[input]);
        if (values.GetValueOrDefault(node.InputOrEmpty(1)) is not { } starts || values.GetValueOrDefault(node.InputOrEmpty(2)) is not { } ends
            || (node.InputOrEmpty(3) != "" && Optional(3) is null) || (node.InputOrEmpty(4) != "" && Optional(4) is null))
            return null;
        return (starts, ends, Optional(3), Optional(4));
    }

    /// <summary>
    /// Slicing other axes passes the channels; slicing the channel axis with step 1 cuts its sources where the slice
    /// begins and ends (a fused QKV projection cut into Q, K and V), and surgery moves the bounds past removed channels.
    /// </summary>
    private static void SliceChannels(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        var input = walk.Shapes[node.Input[0]];
        if (SliceArguments(node, walk.Shapes.Values) is not var (starts, ends, axes, steps) || x.Spread)
        {
            ChannelRules.Opaque(node, walk);
            return;
        }
        var (_, firsts, strides) = ShapeArithmetic.Slice(node, input, starts, ends, axes, steps);
        var output = walk.Shapes[node.Output[0]];
        if (output[x.Axis] == input[x.Axis] && firsts[x.Axis] == 0)
        {
            ChannelRules.PassElementwise(node, walk, x);
            return;
        }
        if (x.Block != 1 || strides[x.Axis] != 1)
        {
            walk.Opaque(node, $"Slice '{node.DisplayName()}' takes every other channel or cuts flattened channel blocks");
            return;
        }
        var (first, count) = (firsts[x.Axis], output[x.Axis]);
        var divided = walk.CutAt(x, node.Input[0], [first, first + count]);
        walk.RecordSlice(divided, node);
        long at = 0;
        var inside = new List<ChannelSegment>();
        foreach (var segment in divided.Segments)
        {
            if (at >= first && at < first + count)
                inside.Add(segment);
            at += walk.Channels(segment.Source);
        }
        walk.SetLayout(node.Output[0], new ChannelLayout(x.Axis, inside, node.Output[0], x.Axis));
    }

    /// <summary>Begin and end pads for every axis of the input (from the attribute before opset 11, the input after).</summary>
    public static long[] PadAmounts(NodeProto node, int rank, IReadOnlyDictionary<string, long[]> values)
    {
        var pads = node.IntsAttribute("pads") ?? values.GetValueOrDefault(node.InputOrEmpty(1))
            ?? throw new InvalidModelException($"Pad '{node.DisplayName()}' takes its pads from a tensor computed at run time; Shears needs them constant.");
        if (node.InputOrEmpty(3) == "")
            return pads.Length == 2 * rank ? pads : throw new InvalidModelException($"Pad '{node.DisplayName()}' has {pads.Length} pads for rank {rank}.");
        var axes = values.GetValueOrDefault(node.Input[3])
            ?? throw new InvalidModelException($"Pad '{node.DisplayName()}' takes its axes from a tensor computed at run time.");
        return ShapeArithmetic.PadsOnAllAxes(pads, axes, rank);
    }


    private static void PadShape(NodeProto node, ShapeContext c)
    {
        var x = c.Shape(node, 0);
        var pads = PadAmounts(node, x.Length, c.Values);
        c.Set(node, [.. x.Select((d, i) => d < 0 ? d : checked(d + pads[i] + pads[i + x.Length]))]);
    }

    private static void PadChannels(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        var rank = walk.Rank(node.Input[0]);
        var pads = PadAmounts(node, rank, walk.Shapes.Values);
        if (x.Block != 1 || pads[x.Axis] != 0 || pads[x.Axis + rank] != 0)
        {
            walk.Opaque(node, $"Pad '{node.DisplayName()}' pads the channel axis");
            return;
        }
        walk.SetLayout(node.Output[0], x.GatedAt(node.Output[0], x.Axis));
    }

    private static void ConcatShape(NodeProto node, ShapeContext c)
    {
        var inputs = node.Input.Select((_, i) => c.Shape(node, i)).ToList();
        var rank = inputs[0].Length;
        var axis = (int)ShapeInference.Axis(node, node.IntAttribute("axis", 0), rank);
        if (inputs.Any(s => s.Length != rank))
            throw new InvalidModelException($"Concat '{node.DisplayName()}' joins tensors of different ranks.");
        var result = inputs[0].ToArray();
        result[axis] = inputs.Any(s => s[axis] < 0) ? -1 : inputs.Sum(s => s[axis]);
        var values = node.Input.Select((_, i) => c.Value(node, i)).ToList();
        c.Set(node, result, rank == 1 && values.All(v => v is not null) ? [.. values.SelectMany(v => v!)] : null);
    }

    /// <summary>Joining on the channel axis lays the inputs' channels side by side; on another axis they must line up.</summary>
    private static void ConcatChannels(NodeProto node, ChannelGroupAnalysis.Walk walk)
    {
        var output = node.Output[0];
        var axis = (int)ShapeInference.Axis(node, node.IntAttribute("axis", 0), walk.Rank(output));
        var tracked = node.Input.Where(walk.IsTracked).Select(i => walk.Layout(i)!).ToList();
        if (tracked.Any(l => l.Block != 1 || l.Axis != axis))
        {
            if (tracked.All(l => l.Axis != axis) && tracked.Select(l => l.Axis).Distinct().Count() == 1 && walk.Align(tracked))
            {
                // A constant joined along another axis (ViT's class token before the patches) spans all the channels.
                if (tracked.Count < node.Input.Count)
                    walk.Hold(tracked[0], node.Input.First(walk.IsTracked), $"Concat '{node.DisplayName()}' joins a constant across these channels");
                walk.SetLayout(output, tracked[0].GatedAt(output, tracked[0].Axis));
            }
            else
                walk.Opaque(node, $"Concat '{node.DisplayName()}' joins tensors whose channels do not line up");
            return;
        }
        var segments = node.Input.SelectMany(i => walk.Layout(i) is { } l
            ? l.Segments
            : [new ChannelSegment(walk.NewSource(i, walk.Shapes[i][axis], "it is a constant joined into the channels"), 1)]).ToList();
        walk.SetLayout(output, new ChannelLayout(axis, segments, output, axis));
    }

    private static void ShapeShape(NodeProto node, ShapeContext c)
    {
        var x = c.Shape(node, 0);
        var start = (int)Clamp(node.IntAttribute("start", 0), x.Length);
        var end = (int)Clamp(node.IntAttribute("end", x.Length), x.Length);
        var dims = x[start..Math.Max(start, end)];
        c.Set(node, [dims.Length], [.. dims.Select(d => d < 0 ? TensorShapes.SymbolicValue : d)], isInt64: true);
    }

    private static long Clamp(long axis, int rank) => Math.Clamp(axis < 0 ? axis + rank : axis, 0, rank);

    /// <summary>Reading a tensor's shape is harmless as long as nothing reads its channel count.</summary>
    private static void ShapeChannels(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        var shapes = walk.Shapes;
        var start = node.IntAttribute("start", 0);
        var readers = walk.Graph.ReadersOf(node.Output[0]);
        var rank = walk.Rank(node.Input[0]);
        var safe = start == 0 && node.IntAttribute("end", long.MaxValue) == long.MaxValue && readers.All(r =>
            r.OpType == "Gather" && r.Input[0] == node.Output[0] && shapes.Values.TryGetValue(r.InputOrEmpty(1), out var picks)
            && !picks.Select(p => p < 0 ? p + rank : p).Any(p => p == x.Axis || p == x.Outer));
        if (!safe)
            walk.ReadsChannelCount(node, node.Input[0], $"its channel count is read by Shape '{node.DisplayName()}'");
    }

    private static void ConstantOfShapeShape(NodeProto node, ShapeContext c)
    {
        var shape = c.RequiredValue(node, 0, "shape");
        if (shape.Any(d => d < 0 && d != TensorShapes.SymbolicValue))
            throw new InvalidModelException($"ConstantOfShape '{node.DisplayName()}' makes a tensor of a run-time shape; Shears needs it static.");
        if (shape.Contains(TensorShapes.SymbolicValue))
        {
            // Sized by the batch (an RNN's initial state): only its shape is known.
            c.Set(node, [.. shape.Select(d => d == TensorShapes.SymbolicValue ? -1 : d)]);
            return;
        }
        var fill = node.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
        var count = shape.Aggregate(1.0, (a, d) => a * d);
        long[]? values = fill is not null && ShapeInference.IsInteger(fill) && count <= ShapeContext.MaxTrackedValues
            ? [.. Enumerable.Repeat(OnnxTensors.ToInt64s(fill)[0], (int)count)]
            : null;
        c.Set(node, shape, values, isInt64: fill?.DataType == ShapeContext.Int64Type);
    }

    /// <summary>Positions 0..T−1 of a token sequence (BERT's position ids): the bounds follow from the input's shape.</summary>
    private static void RangeShape(NodeProto node, ShapeContext c)
    {
        var (start, limit, delta) = (Scalar(node, c, 0, "start"), Scalar(node, c, 1, "limit"), Scalar(node, c, 2, "delta"));
        if (delta == 0)
            throw new InvalidModelException($"Range '{node.DisplayName()}' has a step of 0.");
        if (start == TensorShapes.SymbolicValue || limit == TensorShapes.SymbolicValue || delta == TensorShapes.SymbolicValue)
        {
            c.Set(node, [-1]);
            return;
        }
        var count = RangeValues.Count(start, limit, delta);
        c.Set(node, [count], count <= ShapeContext.MaxTrackedValues ? RangeValues.Of(start, limit, delta) : null);
    }

    private static long Scalar(NodeProto node, ShapeContext c, int input, string what) =>
        c.RequiredValue(node, input, what) is [var value] ? value
            : throw new InvalidModelException($"Range '{node.DisplayName()}' has a {what} that is not a scalar.");

    private static void GatherShape(NodeProto node, ShapeContext c)
    {
        var data = c.Shape(node, 0);
        var indices = c.Shape(node, 1);
        var axis = (int)ShapeInference.Axis(node, node.IntAttribute("axis", 0), data.Length);
        var shape = (long[])[.. data[..axis], .. indices, .. data[(axis + 1)..]];
        long[]? value = null;
        if (data.Length == 1 && c.Value(node, 0) is { } source && c.Value(node, 1) is { } picks)
            value = [.. picks.Select(p => source[p < 0 ? p + source.Length : p])];
        c.Set(node, shape, value);
    }

    /// <summary>
    /// A lookup in a float [rows, width] initializer (an embedding) produces width channels on the output's last axis,
    /// each a column of the table; picking along another axis of an activation (a token, a time step) carries its
    /// channels along. Indices are read as positions, never as channels (they may come from no input at all: position ids
    /// from a Range); anything else is held.
    /// </summary>
    private static void GatherChannels(NodeProto node, ChannelGroupAnalysis.Walk walk)
    {
        var (data, indices) = (node.Input[0], node.Input[1]);
        var axis = (int)ShapeInference.Axis(node, node.IntAttribute("axis", 0), walk.Shapes[data].Length);
        if (walk.Layout(indices) is { } picks)
            walk.Hold(picks, indices, $"Gather '{node.DisplayName()}' reads them as indices");
        var outputRank = walk.Rank(node.Output[0]);
        if (walk.IsFloatInitializer(data) && walk.Dims(data).Length == 2 && axis == 0)
            walk.Produce(node, [(data, 1)], walk.Dims(data)[1], outputRank - 1);
        else if (walk.Layout(data) is { Spread: true } heads)
        {
            if (axis == heads.Outer && !heads.Batched && walk.Rank(indices) == 0 && walk.Shapes.Values.GetValueOrDefault(indices) is [var index]
                && SplitOperator.OuterPart(node, walk, heads, index) is { } part)
                walk.SetLayout(node.Output[0], part);
            else
                walk.Opaque(node, $"Gather '{node.DisplayName()}' picks from attention heads other than one part of a fused projection");
        }
        else if (walk.Layout(data) is { } x && x.Axis != axis && x.Block == 1)
        {
            var shifted = x.Axis < axis ? x.Axis : x.Axis + walk.Rank(indices) - 1;
            walk.SetLayout(node.Output[0], x.GatedAt(node.Output[0], shifted));
        }
        else if (node.Input.Any(walk.IsTracked))
            ChannelRules.Opaque(node, walk);
    }

    /// <summary>Axes of Unsqueeze/Squeeze: the attribute before opset 13, the second input after.</summary>
    public static long[]? SqueezeAxes(NodeProto node, IReadOnlyDictionary<string, long[]> values) =>
        node.IntsAttribute("axes") ?? (node.InputOrEmpty(1) == "" ? null : values.GetValueOrDefault(node.Input[1])
            ?? throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' takes its axes from a tensor computed at run time."));

    private static void UnsqueezeShape(NodeProto node, ShapeContext c)
    {
        var x = c.Shape(node, 0);
        var axes = SqueezeAxes(node, c.Values) ?? throw new InvalidModelException($"Unsqueeze '{node.DisplayName()}' has no axes.");
        var rank = x.Length + axes.Length;
        var inserted = axes.Select(a => ShapeInference.Axis(node, a, rank)).ToHashSet();
        var result = new long[rank];
        var next = 0;
        for (var i = 0; i < rank; i++)
            result[i] = inserted.Contains(i) ? 1 : x[next++];
        c.Set(node, result, c.Value(node, 0));
    }

    private static void SqueezeShape(NodeProto node, ShapeContext c)
    {
        var x = c.Shape(node, 0);
        var axes = SqueezeAxes(node, c.Values)?.Select(a => ShapeInference.Axis(node, a, x.Length)).ToHashSet()
            ?? [.. Enumerable.Range(0, x.Length).Where(i => x[i] == 1).Select(i => (long)i)];
        c.Set(node, [.. x.Where((_, i) => !axes.Contains(i))], c.Value(node, 0));
    }

    private static void SqueezeChannels(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        var input = walk.Shapes[node.Input[0]];
        var output = walk.Shapes[node.Output[0]];
        var axes = SqueezeAxes(node, walk.Shapes.Values);
        Func<int, int> map;
        if (node.OpType == "Squeeze")
        {
            var removed = axes?.Select(a => ShapeInference.Axis(node, a, input.Length)).ToHashSet()
                ?? [.. Enumerable.Range(0, input.Length).Where(i => input[i] == 1).Select(i => (long)i)];
            map = a => removed.Contains(a) ? -1 : a - removed.Count(r => r < a);
        }
        else
        {
            var inserted = axes!.Select(a => ShapeInference.Axis(node, a, output.Length)).ToHashSet();
            var kept = Enumerable.Range(0, output.Length).Where(i => !inserted.Contains(i)).ToList();
            map = a => kept[a];
        }
        if (HeadRules.Remapped(x, node.Output[0], map) is { } layout)
            walk.SetLayout(node.Output[0], layout);
        else
            walk.Opaque(node, $"Squeeze '{node.DisplayName()}' removes the channel axis");
    }

    /// <summary>
    /// The engine computes in float32 and int64: a cast to another float type runs as float32, to any integer type as int64,
    /// to BOOL as 0/1; a cast to anything else (STRING, FLOAT16 kept as such) is refused.
    /// </summary>
    private static void CastShape(NodeProto node, ShapeContext c)
    {
        var to = (TensorProto.Types.DataType)node.IntAttribute("to", 0);
        if (!OnnxTensors.IsInteger(to) && to is not (TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Double))
            throw new InvalidModelException($"Cast '{node.DisplayName()}' casts to {GraphTensor.TypeName(to)}; Shears computes in float32, integers and bool.");
        var value = OnnxTensors.IsInteger(to) ? c.Value(node, 0) : null;
        if (value is not null && to == TensorProto.Types.DataType.Bool)
            value = [.. value.Select(v => v == TensorShapes.SymbolicValue ? v : v != 0 ? 1L : 0L)];
        c.Set(node, c.Shape(node, 0), value, isInt64: to == TensorProto.Types.DataType.Int64);
    }
}
