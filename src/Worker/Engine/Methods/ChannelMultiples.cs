using System.Numerics;
using System.Runtime.Intrinsics.X86;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Worker.Engine.Methods;

/// <summary>
/// The width step of each group (<c>channelMultiple</c>): kept widths are below it or a multiple of it. Asked for, one
/// step for every group. By default convolution groups step by the channel block of ONNX Runtime's CPU convolutions on
/// this worker (its NCHWc kernels: 16 channels with AVX-512, 8 otherwise), because widths between blocks run on slower
/// kernels: pruned to half their FLOPs with any width, mobilenet_v3_small measured 41 → 113 ms and efficientnet_b0
/// 131 → 268 ms (issue 17). A group whose channel is a whole conv group of w filters (a grouped Conv's) steps by the
/// fewest conv groups that fill whole blocks. Linear units and attention heads step by one.
/// </summary>
public static class ChannelMultiples
{
    public static int CpuConvolutionBlock => Avx512F.IsSupported ? 16 : 8;

    public static Func<ChannelGroup, int> For(OnnxGraph graph, int? asked) =>
        asked is { } step ? _ => step
        : group => ChannelGroupKinds.Of(graph, group) == ChannelGroupKind.Convolution ? CpuConvolutionBlock / (int)BigInteger.GreatestCommonDivisor(CpuConvolutionBlock, group.UnitWidth) : 1;
}
