using TorchSharp;
using Shears.Domain.Onnx;
using Onnx;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>Pointwise nonlinearities.</summary>
internal static class ActivationKernels
{
    public static IEnumerable<(string, KernelBuilder)> All =>
    [
        ("Relu", Pointwise((_, _) => x => nn.functional.relu(x))),
        ("LeakyRelu", Pointwise((node, _) => LeakyRelu(node.FloatAttribute("alpha", 0.01f)))),
        ("Sigmoid", Pointwise((_, _) => x => x.sigmoid())),
        ("Tanh", Pointwise((_, _) => x => x.tanh())),
        ("Clip", Pointwise(Clip)),
        ("HardSigmoid", Pointwise((node, _) => HardSigmoid(node.FloatAttribute("alpha", 0.2f), node.FloatAttribute("beta", 0.5f)))),
        ("HardSwish", Pointwise((_, _) => x => nn.functional.hardswish(x))),
        ("Erf", Pointwise((_, _) => x => x.erf())),
        ("Gelu", Pointwise((node, _) => Gelu(node.StringAttribute("approximate", "none")))),
        ("Sqrt", Pointwise((_, _) => x => x.sqrt())),
        ("Softplus", Pointwise((_, _) => x => nn.functional.softplus(x))),
        ("Elu", Pointwise((node, _) => Elu(node.FloatAttribute("alpha", 1f), 1f))),
        ("Selu", Pointwise((node, _) => Elu(node.FloatAttribute("alpha", 1.67326319f), node.FloatAttribute("gamma", 1.05070102f)))),
    ];

    /// <summary>A kernel applying a function of the node (built once) to its first input.</summary>
    private static KernelBuilder Pointwise(Func<NodeProto, IKernelContext, Func<Tensor, Tensor>> compile) => (node, context) =>
    {
        var apply = compile(node, context);
        return inputs => GraphValue.Of(apply(inputs[0].Tensor!));
    };

    /// <summary>gamma · (x if x &gt; 0 else alpha · (eᵡ − 1)): ELU, and SELU with its gamma.</summary>
    private static Func<Tensor, Tensor> Elu(float alpha, float gamma)
    {
        // Scalars captured by the kernel live as long as it (see LiveScalars).
        var scale = gamma.ToScalar();
        return gamma == 1f ? x => nn.functional.elu(x, alpha) : x => nn.functional.elu(x, alpha).mul_(scale);
    }

    /// <summary>Exact (erf) or tanh-approximated GELU, as the opset 20 attribute says; also what exported Erf-GELU runs as (<see cref="KernelFusion"/>).</summary>
    private static Func<Tensor, Tensor> Gelu(string approximate) => approximate switch
    {
        "none" => x => nn.functional.gelu(x),
        "tanh" => x => x.gelu(TorchSharp.Modules.GELU.Approximate.tanh),
        _ => throw new NotSupportedException($"Gelu approximation '{approximate}' is not an ONNX one."),
    };

    private static Func<Tensor, Tensor> LeakyRelu(float alpha) => x => nn.functional.leaky_relu(x, alpha);

    private static Func<Tensor, Tensor> HardSigmoid(float alpha, float beta)
    {
        // Scalars captured by the kernel live as long as it (see LiveScalars).
        var (slope, offset) = (alpha.ToScalar(), beta.ToScalar());
        return x => x.mul(slope).add_(offset, LiveScalars.One).clamp(LiveScalars.Zero, LiveScalars.One);
    }

    /// <summary>Bounds are attributes before opset 11 and constant inputs from then on.</summary>
    private static Func<Tensor, Tensor> Clip(NodeProto node, IKernelContext context)
    {
        float? min, max;
        if (context.Opset < 11)
            (min, max) = (node.FloatAttribute("min", float.MinValue), node.FloatAttribute("max", float.MaxValue));
        else
            (min, max) = (Bound(node, 1, context), Bound(node, 2, context));
        var (low, high) = (min?.ToScalar(), max?.ToScalar());
        return (min, low, high) switch
        {
            (0f, _, null) => x => nn.functional.relu(x),
            (_, { } lo, null) => x => x.clamp_min(lo),
            (_, null, { } hi) => x => x.clamp_max(hi),
            (_, { } lo, { } hi) => x => x.clamp(lo, hi),
            _ => x => x,
        };
    }

    private static float? Bound(NodeProto node, int input, IKernelContext context)
    {
        if (node.Input.Count <= input || node.Input[input].Length == 0)
            return null;
        return context.ConstantScalar(node.Input[input])
            ?? throw new NotSupportedException($"{node.Describe()}: Clip bounds must be constants.");
    }
}
