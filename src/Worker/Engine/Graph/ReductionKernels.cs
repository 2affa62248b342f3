using Shears.Domain.Onnx;
using Onnx;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceL1, ReduceL2, ReduceSumSquare over constant axes (attribute, or the second input from ReduceSum-13 / opset 18).</summary>
internal static class ReductionKernels
{
    public static IEnumerable<(string, KernelBuilder)> All =>
    [
        ("ReduceMean", (node, _) => Reduction(node, (x, axes, keep) => x.mean(axes, keep))),
        ("ReduceSum", (node, _) => Reduction(node, (x, axes, keep) => x.sum(axes, keep))),
        ("ReduceMax", (node, _) => Reduction(node, (x, axes, keep) => x.amax(axes, keep))),
        ("ReduceMin", (node, _) => Reduction(node, (x, axes, keep) => x.amin(axes, keep))),
        ("ReduceL1", (node, _) => Reduction(node, (x, axes, keep) => x.abs().sum(axes, keep))),
        ("ReduceL2", (node, _) => Reduction(node, (x, axes, keep) => x.square().sum(axes, keep).sqrt())),
        ("ReduceSumSquare", (node, _) => Reduction(node, (x, axes, keep) => x.square().sum(axes, keep))),
    ];

    private static Kernel Reduction(NodeProto node, Func<Tensor, long[], bool, Tensor> reduce)
    {
        var attribute = node.IntsAttribute("axes");
        var keep = node.IntAttribute("keepdims", 1) != 0;
        var noopWhenEmpty = node.IntAttribute("noop_with_empty_axes", 0) != 0;
        return inputs =>
        {
            var x = inputs[0].Tensor!;
            var axes = attribute ?? (inputs.Length > 1 && inputs[1].Ints is { } given ? given.Data : []);
            if (axes.Length == 0)
            {
                if (noopWhenEmpty)
                    return inputs[0];
                axes = [.. Enumerable.Range(0, (int)x.dim()).Select(i => (long)i)];
            }
            return GraphValue.Of(reduce(x, axes, keep));
        };
    }
}
