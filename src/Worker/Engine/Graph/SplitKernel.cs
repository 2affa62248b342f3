using Shears.Domain.Onnx;
using Onnx;

namespace Shears.Worker.Engine.Graph;

/// <summary>Split: output i is a view of its range along the axis (sizes from the attribute, the second input, or equal parts).</summary>
internal static class SplitKernel
{
    public static IEnumerable<(string, OutputKernelBuilder)> All => [("Split", Split)];

    private static Kernel Split(NodeProto node, int output, IKernelContext context)
    {
        var axis = node.IntAttribute("axis", 0);
        var attribute = context.Opset < 13 ? node.IntsAttribute("split") : null;
        var parts = node.Has("num_outputs") ? node.IntAttribute("num_outputs", 1) : node.Output.Count;
        return inputs =>
        {
            var x = inputs[0].Tensor!;
            var dim = axis < 0 ? axis + x.dim() : axis;
            var length = x.shape[dim];
            var sizes = attribute ?? (inputs.Length > 1 && inputs[1].Ints is { } given ? given.Data : null);
            long start, size;
            if (sizes is not null)
                (start, size) = (sizes.Take(output).Sum(), sizes[output]);
            else
            {
                var each = (length + parts - 1) / parts;
                (start, size) = (output * each, Math.Min(each, length - (output * each)));
            }
            return GraphValue.Of(x.narrow(dim, start, size));
        };
    }
}
