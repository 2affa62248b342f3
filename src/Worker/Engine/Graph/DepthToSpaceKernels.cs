using Onnx;
using Shears.Domain.Operators;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>DepthToSpace (DCR or CRD, as ONNX defines them) and SpaceToDepth, as reshape, permute, reshape.</summary>
internal static class DepthToSpaceKernels
{
    public static IEnumerable<(string, KernelBuilder)> All =>
    [
        ("DepthToSpace", (node, _) => DepthToSpace(DepthToSpaceOperators.Attributes(node))),
        ("SpaceToDepth", (node, _) => SpaceToDepth(DepthToSpaceOperators.Attributes(node).Block)),
    ];

    private static Kernel DepthToSpace((long Block, bool ColumnRowDepth) attributes) => inputs =>
    {
        var x = inputs[0].Tensor!;
        var (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var b = attributes.Block;
        var depth = c / (b * b);
        var blocks = attributes.ColumnRowDepth
            ? x.reshape(n, depth, b, b, h, w).permute(0, 1, 4, 2, 5, 3)
            : x.reshape(n, b, b, depth, h, w).permute(0, 3, 4, 1, 5, 2);
        return GraphValue.Of(blocks.reshape(n, depth, h * b, w * b));
    };

    private static Kernel SpaceToDepth(long b) => inputs =>
    {
        var x = inputs[0].Tensor!;
        var (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        return GraphValue.Of(x.reshape(n, c, h / b, b, w / b, b).permute(0, 3, 5, 1, 2, 4).reshape(n, c * b * b, h / b, w / b));
    };
}
