using Shears.Domain.Onnx;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>Conv and the pooling ops (1-D and 2-D), with ONNX padding rules.</summary>
internal static class ConvolutionKernels
{
    public static IEnumerable<(string, KernelBuilder)> All =>
    [
        ("Conv", (node, _) => Conv(node)),
        ("MaxPool", (node, _) => MaxPool(node)),
        ("AveragePool", (node, _) => AveragePool(node)),
        ("GlobalAveragePool", (_, _) => GlobalAveragePool()),
    ];

    private static Kernel Conv(NodeProto node)
    {
        var groups = node.IntAttribute("group", 1);
        var window = SlidingWindow.Read(node, kernelFromWeight: true);
        return inputs =>
        {
            var x = inputs[0].Tensor!;
            var w = inputs[1].Tensor!;
            var b = inputs.Length > 2 ? inputs[2].Tensor : null;
            var kernel = window.KernelShape ?? w.shape[2..];
            var (input, padding) = window.Pad(x, kernel, 0.0);
            return GraphValue.Of(kernel.Length switch
            {
                1 => nn.functional.conv1d(input, w, b, window.Strides(1)[0], padding[0], window.Dilations(1)[0], groups),
                2 => nn.functional.conv2d(input, w, b, window.Strides(2), padding, window.Dilations(2), groups),
                _ => throw new NotSupportedException($"{node.Describe()}: only 1-D and 2-D convolutions are supported."),
            });
        };
    }

    private static Kernel MaxPool(NodeProto node)
    {
        var window = SlidingWindow.Read(node, kernelFromWeight: false);
        var kernel = window.KernelShape!;
        if (kernel.Length != 2)
            throw new NotSupportedException($"{node.Describe()}: only 2-D max pooling is supported.");
        var ceil = node.IntAttribute("ceil_mode", 0) != 0;
        return inputs =>
        {
            var (input, padding) = window.Pad(inputs[0].Tensor!, kernel, double.NegativeInfinity);
            return GraphValue.Of(nn.functional.max_pool2d(input, kernel, window.Strides(2), padding, window.Dilations(2), ceil));
        };
    }

    private static Kernel AveragePool(NodeProto node)
    {
        var window = SlidingWindow.Read(node, kernelFromWeight: false);
        var kernel = window.KernelShape!;
        if (kernel.Length != 2)
            throw new NotSupportedException($"{node.Describe()}: only 2-D average pooling is supported.");
        var ceil = node.IntAttribute("ceil_mode", 0) != 0;
        var countIncludePad = node.IntAttribute("count_include_pad", 0) != 0;
        if (!countIncludePad && window.IsAsymmetric)
            throw new NotSupportedException($"{node.Describe()}: asymmetric padding without count_include_pad is not supported.");
        return inputs =>
        {
            var (input, padding) = window.Pad(inputs[0].Tensor!, kernel, 0.0);
            return GraphValue.Of(nn.functional.avg_pool2d(input, kernel, window.Strides(2), padding, ceil, countIncludePad));
        };
    }

    private static Kernel GlobalAveragePool() => inputs =>
    {
        var x = inputs[0].Tensor!;
        var spatial = new long[x.dim() - 2];
        for (var i = 0; i < spatial.Length; i++)
            spatial[i] = i + 2;
        return GraphValue.Of(x.mean(spatial, keepdim: true));
    };

    /// <summary>Kernel, strides, dilations and pads of a Conv or pooling node, resolved once at compile time.</summary>
    private sealed class SlidingWindow
    {
        private static readonly long[][] OnesByRank = [[], [1], [1, 1]];
        private static readonly long[][] ZerosByRank = [[], [0], [0, 0]];
        private readonly long[]? strides;
        private readonly long[]? dilations;
        private readonly string autoPad;
        private readonly long[]? symmetricPadding;
        private readonly long[]? torchPads;

        private SlidingWindow(NodeProto node)
        {
            KernelShape = node.IntsAttribute("kernel_shape");
            strides = node.IntsAttribute("strides");
            dilations = node.IntsAttribute("dilations");
            autoPad = node.StringAttribute("auto_pad", "NOTSET");
            var pads = autoPad == "NOTSET" ? node.IntsAttribute("pads") : null;
            if (pads is null)
                return;
            var rank = pads.Length / 2;
            if (pads.AsSpan(0, rank).SequenceEqual(pads.AsSpan(rank)))
                symmetricPadding = pads[..rank];
            else
                torchPads = TorchOrder(pads);
        }

        public long[]? KernelShape { get; }

        public bool IsAsymmetric => torchPads is not null || autoPad.StartsWith("SAME", StringComparison.Ordinal);

        public static SlidingWindow Read(NodeProto node, bool kernelFromWeight)
        {
            var window = new SlidingWindow(node);
            if (window.KernelShape is null && !kernelFromWeight)
                throw new NotSupportedException($"{node.Describe()}: kernel_shape is missing.");
            return window;
        }

        public long[] Strides(int rank) => strides ?? OnesByRank[rank];

        public long[] Dilations(int rank) => dilations ?? OnesByRank[rank];

        /// <summary>
        /// Symmetric padding goes to the op; asymmetric padding (or SAME auto-padding) is applied
        /// explicitly with <paramref name="fill"/> and the op then pads nothing.
        /// </summary>
        public (Tensor Input, long[] Padding) Pad(Tensor x, long[] kernel, double fill)
        {
            var rank = kernel.Length;
            if (symmetricPadding is not null)
                return (x, symmetricPadding);
            var pads = autoPad.StartsWith("SAME", StringComparison.Ordinal) ? TorchOrder(SamePads(x, kernel)) : torchPads;
            return pads is null
                ? (x, ZerosByRank[rank])
                : (nn.functional.pad(x, pads, PaddingModes.Constant, fill), ZerosByRank[rank]);
        }

        /// <summary>ONNX [b1, b2, e1, e2] → torch (last dimension first) [b2, e2, b1, e1].</summary>
        private static long[] TorchOrder(long[] pads)
        {
            var rank = pads.Length / 2;
            var result = new long[2 * rank];
            for (var d = 0; d < rank; d++)
            {
                result[2 * (rank - 1 - d)] = pads[d];
                result[2 * (rank - 1 - d) + 1] = pads[rank + d];
            }
            return result;
        }

        private long[] SamePads(Tensor x, long[] kernel)
        {
            var rank = kernel.Length;
            var pads = new long[2 * rank];
            for (var d = 0; d < rank; d++)
            {
                var size = x.shape[2 + d];
                var stride = Strides(rank)[d];
                var output = (size + stride - 1) / stride;
                var total = Math.Max(0, (output - 1) * stride + (kernel[d] - 1) * Dilations(rank)[d] + 1 - size);
                var small = total / 2;
                (pads[d], pads[rank + d]) = autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small);
            }
            return pads;
        }
    }
}
