using Shears.Domain.Onnx;
using Shears.Domain.Operators;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>Resize and Upsample as PyTorch's interpolate to the output size (the modes ResizeOperator accepts).</summary>
internal static class ResizeKernel
{
    public static IEnumerable<(string, KernelBuilder)> All => [("Resize", Resize), ("Upsample", Resize)];

    private static Kernel Resize(NodeProto node, IKernelContext context)
    {
        var (nearest, alignCorners) = ResizeOperator.Mode(node);
        var usesSizes = node.OpType == "Resize" && context.Opset >= 11 && node.InputOrEmpty(3) != "";
        var scalesInput = node.OpType == "Upsample" || context.Opset < 11 ? 1 : 2;
        var attributeScales = node.Attribute.FirstOrDefault(a => a.Name == "scales")?.Floats.ToArray();
        return inputs =>
        {
            var x = inputs[0].Tensor!;
            var spatial = (int)x.dim() - 2;
            long[] size;
            if (usesSizes)
            {
                size = inputs[3].AsInts().Data[2..];
            }
            else
            {
                var scales = attributeScales ?? inputs[scalesInput].Tensor!.cpu().data<float>().ToArray();
                size = [.. Enumerable.Range(2, spatial).Select(i => (long)Math.Floor(x.shape[i] * (double)scales[i]))];
            }
            var mode = nearest ? InterpolationMode.Nearest : spatial switch
            {
                1 => InterpolationMode.Linear,
                2 => InterpolationMode.Bilinear,
                _ => InterpolationMode.Trilinear,
            };
            return GraphValue.Of(nn.functional.interpolate(x, size, mode: mode, align_corners: nearest ? null : alignCorners));
        };
    }
}
