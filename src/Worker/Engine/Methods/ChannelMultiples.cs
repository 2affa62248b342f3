using System.Numerics;
using System.Runtime.Intrinsics.X86;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Worker.Engine.Methods;

/// <summary>
/// The width step of each group (<c>channelMultiple</c>): kept widths are multiples of it, and below one step any width
/// unless the group runs in whole blocks. Asked for, one step for every group, any width below it. By default
/// convolution groups step by the channel block of ONNX Runtime's CPU convolutions on this worker (its NCHWc kernels: 16
/// channels with AVX-512, 8 otherwise), because widths between blocks run on slower kernels: pruned to half their FLOPs
/// with any width, mobilenet_v3_small measured 41 → 113 ms and efficientnet_b0 131 → 268 ms (issue 17). A convolution
/// group at least one block wide keeps whole blocks: a convolution reading fewer channels than a block leaves the blocked
/// kernels, and one writing fewer still computes the whole block, so the small ResNet cut from 16 to 12 channels ran slower
/// than kept at 16 (docs/defaults-bench.md). A group whose channel is a whole conv group of w filters (a grouped Conv's)
/// steps by the fewest conv groups that fill whole blocks. Linear units and attention heads step by one.
/// </summary>
public static class ChannelMultiples
{
    public static int CpuConvolutionBlock => Avx512F.IsSupported ? 16 : 8;

    public static Func<ChannelGroup, WidthStep> For(OnnxGraph graph, int? asked) =>
        asked is { } step ? _ => new WidthStep(step)
        : group => ChannelGroupKinds.Of(graph, group) == ChannelGroupKind.Convolution ? OfConvolution(group) : new WidthStep(1);

    /// <summary>The same steps with any width below one step allowed: the default's fallback for a target whole blocks cannot reach.</summary>
    public static Func<ChannelGroup, WidthStep> BelowOneStep(Func<ChannelGroup, WidthStep> steps) => group => steps(group) with { BelowStep = true };

    private static WidthStep OfConvolution(ChannelGroup group)
    {
        var step = CpuConvolutionBlock / (int)BigInteger.GreatestCommonDivisor(CpuConvolutionBlock, group.UnitWidth);
        return new WidthStep(step, BelowStep: group.Channels < step);
    }
}

/// <summary>A group's allowed widths: multiples of <paramref name="Step"/>, and with <paramref name="BelowStep"/> any width under one step.</summary>
public readonly record struct WidthStep(int Step, bool BelowStep = true);
