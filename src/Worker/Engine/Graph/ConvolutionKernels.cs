using Shears.Domain.Onnx;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>Conv, ConvTranspose and the pooling ops over 1, 2 or 3 spatial axes, with ONNX padding rules.</summary>
internal static class ConvolutionKernels
{
    public static IEnumerable<(string, KernelBuilder)> All =>
    [
        ("Conv", (node, _) => Conv(node)),
        ("ConvTranspose", (node, _) => ConvTranspose(node)),
        ("MaxPool", (node, _) => MaxPool(node)),
        ("AveragePool", (node, _) => AveragePool(node)),
        ("GlobalAveragePool", (_, _) => GlobalPool((x, axes) => x.mean(axes, keepdim: true))),
        ("GlobalMaxPool", (_, _) => GlobalPool((x, axes) => x.amax(axes, keepdim: true))),
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
            var rank = kernel.Length;
            if (groups == 1 && rank == 2 && window.TilesWithoutOverlap(kernel) && x.shape[2] % kernel[0] == 0 && x.shape[3] % kernel[1] == 0)
                return GraphValue.Of(PatchConv(x, w, b, kernel));
            var (input, padding) = window.Pad(x, kernel, 0.0);
            return GraphValue.Of(rank switch
            {
                1 => nn.functional.conv1d(input, w, b, window.Strides(1)[0], padding[0], window.Dilations(1)[0], groups),
                2 => nn.functional.conv2d(input, w, b, window.Strides(2), padding, window.Dilations(2), groups),
                _ => nn.functional.conv3d(input, w, b, window.Strides(3), padding, window.Dilations(3), groups),
            });
        };
    }

    /// <summary>
    /// A 2-D convolution whose stride is its kernel, unpadded and undilated (a ViT's patch embedding), as one matrix
    /// product over the non-overlapping patches: the same sums, through the BLAS instead of oneDNN, which the engine
    /// holds to SSE4.1 (OneDnnIsa) and which took 0.80 ms for vit's 8×8 patches of 64 images where PyTorch took 0.28.
    /// The result is [N, O, H/k, W/k] over channels-last memory, which the usual flatten into tokens reads without a copy.
    /// </summary>
    private static Tensor PatchConv(Tensor x, Tensor w, Tensor? b, long[] kernel)
    {
        var (n, channels, rows, columns) = (x.shape[0], x.shape[1], x.shape[2] / kernel[0], x.shape[3] / kernel[1]);
        var patches = x.reshape(n, channels, rows, kernel[0], columns, kernel[1]).permute(0, 2, 4, 1, 3, 5).reshape(n * rows * columns, -1);
        var y = nn.functional.linear(patches, w.reshape(w.shape[0], -1), b);
        return y.reshape(n, rows, columns, -1).permute(0, 3, 1, 2);
    }

    /// <summary>
    /// Runs the transposed convolution unpadded (with output_padding extra rows at the end), then crops
    /// ONNX's begin and end pads, which may differ (torch pads both sides alike).
    /// </summary>
    private static Kernel ConvTranspose(NodeProto node)
    {
        var groups = node.IntAttribute("group", 1);
        var window = SlidingWindow.Read(node, kernelFromWeight: true);
        var outputPadding = node.IntsAttribute("output_padding");
        var pads = node.IntsAttribute("pads");
        return inputs =>
        {
            var x = inputs[0].Tensor!;
            var w = inputs[1].Tensor!;
            var b = inputs.Length > 2 ? inputs[2].Tensor : null;
            var rank = (int)w.dim() - 2;
            var strides = window.Strides(rank);
            var dilations = window.Dilations(rank);
            var extra = outputPadding ?? SlidingWindow.Zeros(rank);
            var y = rank switch
            {
                1 => nn.functional.conv_transpose1d(x, w, b, strides[0], 0, extra[0], dilations[0], groups),
                2 => nn.functional.conv_transpose2d(x, w, b, strides, SlidingWindow.Zeros(2), extra, dilations, groups),
                _ => nn.functional.conv_transpose3d(x, w, b, strides, SlidingWindow.Zeros(3), extra, dilations, groups),
            };
            if (pads is null)
                return GraphValue.Of(y);
            for (var d = 0; d < rank; d++)
                if (pads[d] != 0 || pads[rank + d] != 0)
                    y = y.narrow(2 + d, pads[d], y.shape[2 + d] - pads[d] - pads[rank + d]);
            return GraphValue.Of(y);
        };
    }

    private static Kernel MaxPool(NodeProto node)
    {
        var window = SlidingWindow.Read(node, kernelFromWeight: false);
        var kernel = window.KernelShape!;
        var rank = kernel.Length;
        var ceil = node.IntAttribute("ceil_mode", 0) != 0;
        var tiles = window.TilesWithoutOverlap(kernel);
        return inputs =>
        {
            var x = inputs[0].Tensor!;
            if (tiles && !(x.requires_grad && is_grad_enabled()) && (!ceil || x.shape.Skip(2).Zip(kernel, (size, k) => size % k == 0).All(fits => fits)))
                return GraphValue.Of(TiledMax(x, kernel));
            var (input, padding) = window.Pad(x, kernel, double.NegativeInfinity);
            return GraphValue.Of(rank switch
            {
                1 => nn.functional.max_pool1d(input, kernel[0], window.Strides(1)[0], padding[0], window.Dilations(1)[0], ceil),
                2 => nn.functional.max_pool2d(input, kernel, window.Strides(2), padding, window.Dilations(2), ceil),
                _ => nn.functional.max_pool3d(input, kernel, window.Strides(3), padding, window.Dilations(3), ceil),
            });
        };
    }

    /// <summary>
    /// Max pooling over windows that tile the input, when no gradient will flow back through it (the teacher of
    /// distillation, evaluation): the elementwise maximum of the window's strided views, one spatial axis after the other,
    /// the same values as max_pool (NaN included). libtorch's max_pool over NCHW memory is a scalar loop: 6.8 ms of CPU for
    /// LeNet-5's first pool at batch 100 ([100, 20, 24, 24]), where these maxima take 0.4 ms. Training keeps max_pool,
    /// whose backward routes each window's gradient to the one element its indices name.
    /// </summary>
    private static Tensor TiledMax(Tensor x, long[] kernel)
    {
        for (var d = 0; d < kernel.Length; d++)
        {
            var (axis, size) = (2 + d, kernel[d]);
            var end = x.shape[axis] / size * size;
            var max = x.slice(axis, 0, end, size);
            for (var offset = 1; offset < size; offset++)
                max = max.maximum(x.slice(axis, offset, end, size));
            x = max;
        }
        return x;
    }

    /// <summary>Asymmetric padding without count_include_pad is refused at inspection (AveragePool's shape rule).</summary>
    private static Kernel AveragePool(NodeProto node)
    {
        var window = SlidingWindow.Read(node, kernelFromWeight: false);
        var kernel = window.KernelShape!;
        var rank = kernel.Length;
        var ceil = node.IntAttribute("ceil_mode", 0) != 0;
        var countIncludePad = node.IntAttribute("count_include_pad", 0) != 0;
        return inputs =>
        {
            var (input, padding) = window.Pad(inputs[0].Tensor!, kernel, 0.0);
            return GraphValue.Of(rank switch
            {
                1 => nn.functional.avg_pool1d(input, kernel[0], window.Strides(1)[0], padding[0], ceil, countIncludePad),
                2 => nn.functional.avg_pool2d(input, kernel, window.Strides(2), padding, ceil, countIncludePad),
                _ => nn.functional.avg_pool3d(input, kernel, window.Strides(3), padding, ceil, countIncludePad),
            });
        };
    }

    private static Kernel GlobalPool(Func<Tensor, long[], Tensor> reduce) => inputs =>
    {
        var x = inputs[0].Tensor!;
        var spatial = new long[x.dim() - 2];
        for (var i = 0; i < spatial.Length; i++)
            spatial[i] = i + 2;
        return GraphValue.Of(reduce(x, spatial));
    };

    /// <summary>Kernel, strides, dilations and pads of a Conv or pooling node, resolved once at compile time.</summary>
    private sealed class SlidingWindow
    {
        private static readonly long[][] OnesByRank = [[], [1], [1, 1], [1, 1, 1]];
        private static readonly long[][] ZerosByRank = [[], [0], [0, 0], [0, 0, 0]];
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

        public static SlidingWindow Read(NodeProto node, bool kernelFromWeight)
        {
            var window = new SlidingWindow(node);
            if (window.KernelShape is null && !kernelFromWeight)
                throw new NotSupportedException($"{node.Describe()}: kernel_shape is missing.");
            return window;
        }

        public static long[] Zeros(int rank) => ZerosByRank[rank];

        public long[] Strides(int rank) => strides ?? OnesByRank[rank];

        public long[] Dilations(int rank) => dilations ?? OnesByRank[rank];

        /// <summary>A window that steps by its own size with no padding and no dilation: it cuts the input into patches.</summary>
        public bool TilesWithoutOverlap(long[] kernel) =>
            kernel.Any(k => k > 1) && strides is { } s && s.SequenceEqual(kernel)
            && Dilations(kernel.Length).All(d => d == 1) && autoPad is "NOTSET" or "VALID"
            && (symmetricPadding ?? ZerosByRank[kernel.Length]).All(p => p == 0) && (torchPads ?? ZerosByRank[kernel.Length]).All(p => p == 0);

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
