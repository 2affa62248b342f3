using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>
/// Resize (and Upsample, its pre-opset-10 form) over the spatial axes: channels pass on axis 1. Only the
/// modes PyTorch exports and the engine computes the same way are accepted: nearest with asymmetric
/// coordinates and floor rounding, and (bi/tri)linear with half-pixel or align-corners coordinates.
/// </summary>
public static class ResizeOperator
{
    internal static IEnumerable<OperatorFacts> All =>
    [
        new("Resize", Shape, ChannelRules.OnFirstInput(Channels), constantInputs: [1, 2, 3]),
        new("Upsample", Shape, ChannelRules.OnFirstInput(Channels), constantInputs: [1]),
    ];

    /// <summary>How the engine interpolates the node: "nearest", or "linear" with or without aligned corners.</summary>
    public static (bool Nearest, bool AlignCorners) Mode(NodeProto node)
    {
        var mode = node.StringAttribute("mode", "nearest");
        var coordinates = node.StringAttribute("coordinate_transformation_mode", node.OpType == "Upsample" ? "asymmetric" : "half_pixel");
        if (node.IntAttribute("antialias", 0) != 0 || node.IntAttribute("exclude_outside", 0) != 0 || node.Has("axes") || node.StringAttribute("keep_aspect_ratio_policy", "stretch") != "stretch")
            throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' uses antialias, exclude_outside, axes or an aspect-ratio policy; Shears supports the plain resizes PyTorch exports.");
        if (mode == "nearest" && coordinates == "asymmetric" && node.StringAttribute("nearest_mode", node.OpType == "Upsample" ? "floor" : "round_prefer_floor") == "floor")
            return (true, false);
        if (mode is "linear" or "bilinear" && coordinates is "half_pixel" or "pytorch_half_pixel" or "align_corners")
            return (false, coordinates == "align_corners");
        if (mode is "linear" or "bilinear" && node.OpType == "Upsample")
            return (false, false);
        throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' resizes in mode '{mode}' with '{coordinates}' coordinates; Shears supports nearest (asymmetric, floor) and linear (half-pixel or align-corners), as PyTorch exports them.");
    }

    /// <summary>The output size: the sizes input when given, else floor(input × scale) per axis.</summary>
    private static void Shape(NodeProto node, ShapeContext c)
    {
        Mode(node);
        var x = c.Shape(node, 0);
        long[] result;
        var scalesInput = node.OpType == "Upsample" || c.Opset < 11 ? 1 : 2;
        if (node.InputOrEmpty(3) != "" && node.OpType == "Resize" && c.Opset >= 11)
        {
            result = c.RequiredValue(node, 3, "output sizes");
        }
        else
        {
            var scales = (node.OpType == "Upsample" && c.Opset < 9 ? node.Attribute.FirstOrDefault(a => a.Name == "scales")?.Floats.ToArray() : c.FloatValues(node, scalesInput))
                ?? throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' takes its scales from a tensor computed at run time; Shears needs them constant.");
            if (scales.Length != x.Length)
                throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' has {scales.Length} scales for a rank-{x.Length} input.");
            result = [.. x.Select((d, i) => d < 0 ? d : (long)Math.Floor(d * (double)scales[i]))];
        }
        if (result.Length != x.Length || result.Length < 3 || result[1] != x[1] || (result[0] != x[0] && x[0] >= 0 && result[0] >= 0))
            throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' resizes its batch or channel axis; Shears resizes spatial axes only.");
        c.Set(node, [x[0], .. result[1..]]);
    }

    private static void Channels(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        if (x.Axis != 1 || x.Block != 1)
        {
            walk.Opaque(node, $"{node.OpType} '{node.DisplayName()}' does not resize spatial axes only");
            return;
        }
        walk.SetLayout(node.Output[0], x.GatedAt(node.Output[0], 1));
    }
}
