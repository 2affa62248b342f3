using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>Operators that normalize over some axes: BatchNormalization, InstanceNormalization, LayerNormalization, Softmax, LogSoftmax.</summary>
internal static class NormalizationOperators
{
    public static IEnumerable<OperatorFacts> All =>
    [
        new("BatchNormalization", SameShape, PerChannelParameters(4), bufferInputs: [3, 4]),
        new("InstanceNormalization", SameShape, PerChannelParameters(2)),
        new("LayerNormalization", SameShape, ChannelRules.OnFirstInput(LayerNormalizationChannels)),
        new("Softmax", SameShape, ChannelRules.OnFirstInput(SoftmaxChannels), followsHeads: true),
        new("LogSoftmax", SameShape, ChannelRules.OnFirstInput(SoftmaxChannels)),
    ];

    private static void SameShape(NodeProto node, ShapeContext c) => c.Set(node, c.Shape(node, 0));

    /// <summary>
    /// Per-channel parameters after the input (BatchNormalization's scale, bias, mean and variance; InstanceNormalization's
    /// scale and bias, its statistics taken per example and channel) pass through with the channels.
    /// </summary>
    private static ChannelRule PerChannelParameters(int count) => ChannelRules.OnFirstInput((node, walk, x) =>
    {
        var parameters = node.Input.Skip(1).Take(count).Select(i => (i, 0)).ToList();
        if (x.Axis != 1 || x.Block != 1 || parameters.Any(p => !walk.IsFloatInitializer(p.i)))
        {
            walk.Opaque(node, $"{node.OpType} '{node.DisplayName()}' has parameters Shears cannot slice");
            return;
        }
        walk.PassThrough(x, parameters);
        walk.SetLayout(node.Output[0], x.GatedAt(node.Output[0], 1));
    });

    /// <summary>
    /// Over the channels (a transformer's or ConvNeXt's residual stream) the stream is held: the shrunk network
    /// would take its statistics over the kept channels only, the masked one over all of them. Over other axes
    /// only, the scale and bias broadcast over those axes and channels pass.
    /// </summary>
    private static void LayerNormalizationChannels(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        var first = ShapeInference.Axis(node, node.IntAttribute("axis", -1), walk.Rank(node.Input[0]));
        if (x.Block != 1)
        {
            walk.Opaque(node, $"LayerNormalization '{node.DisplayName()}' normalizes flattened channel blocks");
        }
        else if (x.Axis >= first)
        {
            // The output keeps the (now held) channels on the same axis, so the layers it feeds still see where they are.
            walk.Hold(x, node.Input[0], $"LayerNormalization '{node.DisplayName()}' normalizes over the channels, so the width it normalizes is held");
            walk.SetLayout(node.Output[0], x.GatedAt(node.Output[0], x.Axis));
        }
        else
        {
            ChannelRules.PassElementwise(node, walk, x);
        }
    }

    /// <summary>Normalizing over another axis passes channels; over the channels (or flattened, before opset 13) holds them.</summary>
    private static void SoftmaxChannels(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        // Before opset 13 the axis and every axis after it are normalized together (as one flattened axis).
        var opset = walk.Graph.Opset;
        var rank = walk.Rank(node.Input[0]);
        var axis = ShapeInference.Axis(node, node.IntAttribute("axis", opset >= 13 ? -1 : 1), rank);
        bool Normalized(int a) => a == axis || (opset < 13 && a > axis);
        if (Normalized(x.Axis) || (x.Outer >= 0 && Normalized(x.Outer)) || x.Block != 1)
            walk.Opaque(node, $"{node.OpType} '{node.DisplayName()}' normalizes over the channels");
        else
            ChannelRules.PassElementwise(node, walk, x);
    }
}
