using Shears.Domain.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>Add, Sub, Mul, Div, Min, Max, Mod (and Pow, on tensors only) with broadcasting; on host integers when both sides are shape arithmetic.</summary>
internal static class ArithmeticKernels
{
    public static IEnumerable<(string, KernelBuilder)> All =>
    [
        ("Add", (_, context) => Binary("Add", context)),
        ("Sub", (_, context) => Binary("Sub", context)),
        ("Mul", (_, context) => Binary("Mul", context)),
        ("Div", (_, context) => Binary("Div", context)),
        ("Min", (_, context) => Binary("Min", context)),
        ("Max", (_, context) => Binary("Max", context)),
        ("Mod", (node, context) => Binary(node.IntAttribute("fmod", 0) != 0 ? "Fmod" : "Mod", context)),
        ("PRelu", (_, context) => inputs => GraphValue.Of(PRelu(inputs[0].Tensor!, inputs[1].AsTensor(context.Device)))),
        ("Pow", Pow),
    ];

    /// <summary>
    /// A constant exponent is a Scalar, 2 a square: libtorch's pow with a tensor exponent takes its general kernel, which
    /// costs twice as much as the whole rest of an exported LayerNorm's variance.
    /// </summary>
    private static Kernel Pow(Onnx.NodeProto node, IKernelContext context)
    {
        if (context.IsTrained(node.Input[1]) || context.ConstantScalar(node.Input[1]) is not { } exponent)
            return inputs => GraphValue.Of(inputs[0].AsTensor(context.Device).pow(inputs[1].AsTensor(context.Device)));
        if (exponent == 2f)
            return inputs => GraphValue.Of(inputs[0].AsTensor(context.Device).square());
        // Captured by the kernel, so it lives as long as it (see LiveScalars).
        var power = exponent.ToScalar();
        return inputs => GraphValue.Of(inputs[0].AsTensor(context.Device).pow(power));
    }

    private static Kernel Binary(string op, IKernelContext context)
    {
        Func<Tensor, Tensor, Tensor> onTensors = op switch
        {
            "Add" => (a, b) => a.add(b, LiveScalars.One),
            "Sub" => (a, b) => a - b,
            "Mul" => (a, b) => a * b,
            "Min" => (a, b) => a.minimum(b),
            "Max" => (a, b) => a.maximum(b),
            "Mod" => (a, b) => a.remainder(b),
            "Fmod" => (a, b) => a.fmod(b),
            _ => (a, b) => a / b,
        };
        Func<long, long, long> onInts = op switch
        {
            "Add" => (a, b) => a + b,
            "Sub" => (a, b) => a - b,
            "Mul" => (a, b) => a * b,
            "Min" => Math.Min,
            "Max" => Math.Max,
            "Mod" => (a, b) => ((a % b) + b) % b,
            "Fmod" => (a, b) => a % b,
            _ => (a, b) => a / b,
        };
        return inputs => inputs[0].Ints is { } a && inputs[1].Ints is { } b && HostInts.Aligned(a, b)
            ? GraphValue.Of(OnHost(inputs[0].Ints!, inputs[1].Ints!, onInts))
            : GraphValue.Of(onTensors(inputs[0].AsTensor(context.Device), inputs[1].AsTensor(context.Device)));
    }

    /// <summary>x where x ≥ 0, slope · x elsewhere, the slope broadcast (per channel as exported: [C, 1, 1]).</summary>
    private static Tensor PRelu(Tensor x, Tensor slope) => x.clamp_min(LiveScalars.Zero).add(x.clamp_max(LiveScalars.Zero).mul(slope), LiveScalars.One);

    /// <summary>Elementwise with a scalar (or single-element) side broadcast: all that shape arithmetic needs.</summary>
    private static HostInts OnHost(HostInts a, HostInts b, Func<long, long, long> op)
    {
        var (longer, shape) = a.Data.Length >= b.Data.Length ? (a.Data.Length, a.Shape) : (b.Data.Length, b.Shape);
        if (a.Data.Length != longer && a.Data.Length != 1 || b.Data.Length != longer && b.Data.Length != 1)
            throw new NotSupportedException("Shape arithmetic with mismatched lengths is not supported.");
        var result = new long[longer];
        for (var i = 0; i < longer; i++)
            result[i] = op(a.Data[a.Data.Length == 1 ? 0 : i], b.Data[b.Data.Length == 1 ? 0 : i]);
        return new HostInts(result, shape);
    }
}
