using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>
/// DepthToSpace (a super-resolution network's PixelShuffle) and SpaceToDepth: they move channels into blocks of pixels
/// and back. A channel of the output is made of block² channels of the input (or the reverse), so Shears holds the
/// channels on both sides; the convolutions before and after still prune.
/// </summary>
public static class DepthToSpaceOperators
{
    public static IEnumerable<OperatorFacts> All =>
    [
        new("DepthToSpace", (node, c) => Shape(node, c, toSpace: true), ChannelRules.Opaque),
        new("SpaceToDepth", (node, c) => Shape(node, c, toSpace: false), ChannelRules.Opaque),
    ];

    /// <summary>The block size; DepthToSpace's mode (DCR, the default, or CRD), which SpaceToDepth does not have.</summary>
    public static (long Block, bool ColumnRowDepth) Attributes(NodeProto node)
    {
        var mode = node.StringAttribute("mode", "DCR");
        if (mode is not ("DCR" or "CRD"))
            throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' has mode '{mode}'; ONNX knows DCR and CRD.");
        return (node.IntAttribute("blocksize", 0), mode == "CRD");
    }

    private static void Shape(NodeProto node, ShapeContext c, bool toSpace)
    {
        var x = c.Shape(node, 0);
        var (block, _) = Attributes(node);
        if (x.Length != 4 || block < 1)
            throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' needs a 4-D [N, C, H, W] input and a positive blocksize.");
        var square = block * block;
        if (toSpace && x[1] % square != 0 || !toSpace && (x[2] % block != 0 || x[3] % block != 0))
            throw new InvalidModelException($"{node.OpType} '{node.DisplayName()}' cannot rearrange [{string.Join(", ", x)}] in blocks of {block}.");
        c.Set(node, toSpace ? [x[0], x[1] / square, x[2] * block, x[3] * block] : [x[0], x[1] * square, x[2] / block, x[3] / block]);
    }
}
