using TorchSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>
/// Pointwise math that is not an activation: a T5 RMSNorm's Reciprocal, log-spaced relative-position buckets (Abs, Log),
/// sinusoidal positions (Sin, Cos). Neg, Abs, Sign and Not also run on host integers (index arithmetic over a Range).
/// </summary>
internal static class MathKernels
{
    public static IEnumerable<(string, KernelBuilder)> All =>
    [
        ("Reciprocal", OnTensor(x => x.reciprocal())),
        ("Exp", OnTensor(x => x.exp())),
        ("Log", OnTensor(x => x.log())),
        ("Sin", OnTensor(x => x.sin())),
        ("Cos", OnTensor(x => x.cos())),
        ("Floor", OnTensor(x => x.floor())),
        ("Ceil", OnTensor(x => x.ceil())),
        ("Mish", OnTensor(x => x.mul(nn.functional.softplus(x).tanh_()))),
        ("Neg", OnTensorOrHost(x => x.neg(), v => -v)),
        ("Abs", OnTensorOrHost(x => x.abs(), Math.Abs)),
        ("Sign", OnTensorOrHost(x => x.sign(), v => Math.Sign(v))),
        ("Not", OnTensorOrHost(x => x.logical_not(), v => v == 0 ? 1 : 0)),
    ];

    private static KernelBuilder OnTensor(Func<Tensor, Tensor> apply) => (_, context) => inputs => GraphValue.Of(apply(inputs[0].AsTensor(context.Device)));

    private static KernelBuilder OnTensorOrHost(Func<Tensor, Tensor> apply, Func<long, long> onHost) => (_, _) => inputs =>
        inputs[0].Ints is { } ints ? GraphValue.Of(ints with { Data = [.. ints.Data.Select(onHost)] }) : GraphValue.Of(apply(inputs[0].Tensor!));
}
