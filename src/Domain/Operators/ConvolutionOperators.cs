using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>Convolution and pooling over N×C×spatial tensors.</summary>
internal static class ConvolutionOperators
{
    public static IEnumerable<OperatorFacts> All =>
    [
        new("Conv", ConvShape, ChannelRules.OnFirstInput(ConvChannels), ConvCost),
        new("ConvTranspose", ConvTransposeShape, ChannelRules.OnFirstInput(ConvTransposeChannels), ConvTransposeCost),
        new("MaxPool", PoolShape, ChannelRules.SpatialPool),
        new("AveragePool", AveragePoolShape, ChannelRules.SpatialPool),
        new("GlobalAveragePool", GlobalPoolShape, ChannelRules.SpatialPool),
        new("GlobalMaxPool", GlobalPoolShape, ChannelRules.SpatialPool),
    ];

    private static void ConvShape(NodeProto node, ShapeContext c)
    {
        var x = c.Shape(node, 0);
        var w = c.Shape(node, 1);
        ShapeInference.RequireSpatial(node, x);
        if (w.Length != x.Length)
            throw new InvalidModelException($"Conv '{node.DisplayName()}' has a weight of rank {w.Length} for an input of rank {x.Length}.");
        var group = node.IntAttribute("group", 1);
        if (group <= 0)
            throw new InvalidModelException($"Conv '{node.DisplayName()}' has group {group}.");
        ShapeInference.RequireEqual(node, x[1], checked(w[1] * group), "input channels (weight in-channels × group)");
        var kernel = node.IntsAttribute("kernel_shape") ?? w[2..];
        c.Set(node, [x[0], w[0], .. Windows(node, x[2..], kernel, node.IntsAttribute("dilations"), ceil: false)]);
    }

    /// <summary>
    /// group = 1 mixes every input channel into every output channel. A grouped Conv whose groups read and write the same
    /// number of channels (w = C / group; depthwise is w = 1) keeps channel i in channel i: input and output are one
    /// group, and its filters pass the channels like a BatchNormalization, removed w at a time (a whole conv group).
    /// </summary>
    private static void ConvChannels(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        var weight = node.InputOrEmpty(1);
        var group = node.IntAttribute("group", 1);
        var inChannels = walk.Shapes[node.Input[0]][1];
        if (x.Axis != 1 || x.Block != 1 || !walk.IsFloatInitializer(weight) || !walk.BiasIsSliceable(node.InputOrEmpty(2)))
        {
            walk.Opaque(node, $"Conv '{node.DisplayName()}' reads its channels in a layout or from weights Shears cannot slice");
            return;
        }
        var filters = walk.Dims(weight)[0];
        if (group == 1)
        {
            walk.Consume(x, node.Input[0], weight, 1, node.Output[0]);
            walk.Produce(node, [(weight, 0), (node.InputOrEmpty(2), 0)], filters);
        }
        else if (filters != inChannels)
        {
            walk.Opaque(node, $"Conv '{node.DisplayName()}' is grouped (group={group}) with {inChannels / group} input and {filters / group} output channels per group; Shears removes whole groups only where the two are equal");
        }
        else if (!walk.RemoveTogether(x, inChannels / group, node.DisplayName()))
        {
            walk.Opaque(node, $"Conv '{node.DisplayName()}' is grouped (group={group}) and its input joins channels from several layers that do not line up with its groups of {inChannels / group}");
        }
        else
        {
            walk.PassThrough(x, [(weight, 0), (node.InputOrEmpty(2), 0)]);
            walk.SetLayout(node.Output[0], x.GatedAt(node.Output[0], 1));
        }
    }

    /// <summary>2 × weight elements × output positions; with a computed weight, 2 × output elements × (in-channels per group × kernel).</summary>
    private static FlopCount ConvCost(NodeProto node, OnnxGraph graph)
    {
        var output = graph.Shapes[node.Output[0]];
        var positions = TensorShapes.ElementsPerExample(output[2..]);
        if (graph.Initializers.ContainsKey(node.Input[1]))
        {
            var group = node.IntAttribute("group", 1);
            var dims = OnnxTensors.Dims(graph.Initializers[node.Input[1]]);
            return FlopCount.OfWeight(node.Input[1], positions, outputAxis: 0, weightsPerRead: group == 1 ? 0 : dims[0] / group * TensorShapes.ElementsPerExample(dims[1..]) / dims[1]);
        }
        var weight = graph.Shapes[node.Input[1]];
        return FlopCount.Constant(checked(2 * positions * TensorShapes.ElementsPerExample(weight)));
    }

    /// <summary>Weight [in, out / group, kernel…]; out = stride·(in − 1) + output_padding + dilated kernel − pads.</summary>
    private static void ConvTransposeShape(NodeProto node, ShapeContext c)
    {
        var x = c.Shape(node, 0);
        var w = c.Shape(node, 1);
        ShapeInference.RequireSpatial(node, x);
        if (w.Length != x.Length)
            throw new InvalidModelException($"ConvTranspose '{node.DisplayName()}' has a weight of rank {w.Length} for an input of rank {x.Length}.");
        if (node.Has("output_shape") || node.StringAttribute("auto_pad", "NOTSET") != "NOTSET")
            throw new InvalidModelException($"ConvTranspose '{node.DisplayName()}' sets output_shape or auto_pad; Shears needs explicit pads (torch.onnx.export writes them).");
        var group = node.IntAttribute("group", 1);
        if (group <= 0)
            throw new InvalidModelException($"ConvTranspose '{node.DisplayName()}' has group {group}.");
        ShapeInference.RequireEqual(node, x[1], w[0], "input channels (weight axis 0)");
        var spatial = x.Length - 2;
        var kernel = node.IntsAttribute("kernel_shape") ?? w[2..];
        var strides = node.IntsAttribute("strides") ?? ShapeInference.Ones(spatial);
        var dilations = node.IntsAttribute("dilations") ?? ShapeInference.Ones(spatial);
        var pads = node.IntsAttribute("pads") ?? new long[2 * spatial];
        var extra = node.IntsAttribute("output_padding") ?? new long[spatial];
        if (kernel.Length != spatial || strides.Length != spatial || dilations.Length != spatial || pads.Length != 2 * spatial || extra.Length != spatial
            || strides.Any(s => s <= 0) || dilations.Any(d => d <= 0) || extra.Where((e, i) => e < 0 || e >= Math.Max(strides[i], dilations[i])).Any())
            throw new InvalidModelException($"ConvTranspose '{node.DisplayName()}' has kernel, strides, dilations, pads or output_padding that do not match its {spatial} spatial dimensions.");
        var output = new long[spatial];
        for (var i = 0; i < spatial; i++)
        {
            output[i] = checked((strides[i] * (x[2 + i] - 1)) + extra[i] + ((kernel[i] - 1) * dilations[i]) + 1 - pads[i] - pads[spatial + i]);
            if (output[i] <= 0)
                throw new InvalidModelException($"ConvTranspose '{node.DisplayName()}' crops more than its output (spatial axis {i}).");
        }
        c.Set(node, [x[0], checked(w[1] * group), .. output]);
    }

    /// <summary>Like Conv with the weight's first two axes swapped: reads channels on axis 0, produces them on axis 1.</summary>
    private static void ConvTransposeChannels(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        var weight = node.InputOrEmpty(1);
        if (x.Axis != 1 || x.Block != 1 || !walk.IsFloatInitializer(weight) || !walk.BiasIsSliceable(node.InputOrEmpty(2)))
        {
            walk.Opaque(node, $"ConvTranspose '{node.DisplayName()}' reads its channels in a layout or from weights Shears cannot slice");
            return;
        }
        if (node.IntAttribute("group", 1) != 1)
        {
            walk.Opaque(node, $"ConvTranspose '{node.DisplayName()}' is grouped; its channels are tied in blocks Shears keeps whole");
            return;
        }
        walk.Consume(x, node.Input[0], weight, 0, node.Output[0]);
        walk.Produce(node, [(weight, 1), (node.InputOrEmpty(2), 0)], walk.Dims(weight)[1]);
    }

    /// <summary>Every input position meets the whole weight: 2 × weight elements × input positions.</summary>
    private static FlopCount ConvTransposeCost(NodeProto node, OnnxGraph graph)
    {
        var positions = TensorShapes.ElementsPerExample(graph.Shapes[node.Input[0]][2..]);
        if (graph.Initializers.ContainsKey(node.Input[1]))
            return FlopCount.OfWeight(node.Input[1], positions, outputAxis: 1, weightsPerRead: node.IntAttribute("group", 1) == 1 ? 0 : TensorShapes.ElementsPerExample(OnnxTensors.Dims(graph.Initializers[node.Input[1]])[1..]));
        return FlopCount.Constant(checked(2 * positions * TensorShapes.ElementsPerExample(graph.Shapes[node.Input[1]])));
    }

    /// <summary>The engine pads asymmetric windows explicitly, which only count_include_pad averages alike.</summary>
    private static void AveragePoolShape(NodeProto node, ShapeContext c)
    {
        var pads = node.IntsAttribute("pads");
        var asymmetric = node.StringAttribute("auto_pad", "NOTSET").StartsWith("SAME", StringComparison.Ordinal)
            || (pads is not null && !pads.AsSpan(0, pads.Length / 2).SequenceEqual(pads.AsSpan(pads.Length / 2)));
        if (asymmetric && node.IntAttribute("count_include_pad", 0) == 0)
            throw new InvalidModelException($"AveragePool '{node.DisplayName()}' pads its sides unequally without count_include_pad; Shears cannot train that.");
        PoolShape(node, c);
    }

    private static void PoolShape(NodeProto node, ShapeContext c)
    {
        var x = c.Shape(node, 0);
        ShapeInference.RequireSpatial(node, x);
        var kernel = node.IntsAttribute("kernel_shape") ?? throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' has no kernel_shape.");
        c.Set(node, [x[0], x[1], .. Windows(node, x[2..], kernel, node.IntsAttribute("dilations"), ceil: node.IntAttribute("ceil_mode", 0) != 0)]);
    }

    private static void GlobalPoolShape(NodeProto node, ShapeContext c) =>
        c.Set(node, [.. c.Shape(node, 0).Select((d, i) => i < 2 ? d : 1)]);

    /// <summary>Output extent of a sliding window (Conv, pooling) per spatial axis, following ONNX Runtime.</summary>
    public static long[] Windows(NodeProto node, long[] input, long[] kernel, long[]? dilations, bool ceil)
    {
        var spatial = input.Length;
        if (kernel.Length != spatial)
            throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' has a {kernel.Length}-D kernel for {spatial} spatial dimensions.");
        var strides = node.IntsAttribute("strides") ?? ShapeInference.Ones(spatial);
        dilations ??= ShapeInference.Ones(spatial);
        var pads = node.IntsAttribute("pads") ?? new long[2 * spatial];
        var autoPad = node.StringAttribute("auto_pad", "NOTSET");
        if (strides.Length != spatial || dilations.Length != spatial || pads.Length != 2 * spatial || strides.Any(s => s <= 0) || dilations.Any(d => d <= 0))
            throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' has strides, dilations or pads that do not match its {spatial} spatial dimensions.");
        var result = new long[spatial];
        for (var i = 0; i < spatial; i++)
        {
            var extent = checked(((kernel[i] - 1) * dilations[i]) + 1);
            result[i] = autoPad switch
            {
                "SAME_UPPER" or "SAME_LOWER" => (input[i] + strides[i] - 1) / strides[i],
                "VALID" => ((input[i] - extent) / strides[i]) + 1,
                _ => Sliding(input[i], pads[i], pads[i + spatial], extent, strides[i], ceil),
            };
            if (result[i] <= 0)
                throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' has a window larger than its input (spatial size {input[i]}).");
        }
        return result;
    }

    private static long Sliding(long input, long padBegin, long padEnd, long extent, long stride, bool ceil)
    {
        var span = checked(input + padBegin + padEnd - extent);
        if (span < 0)
            return 0;
        var count = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        if (ceil && (count - 1) * stride >= input + padBegin)
            count--; // the last window must start inside the input or its leading padding
        return count;
    }
}
