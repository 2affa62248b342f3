using TorchSharp;
using Shears.Domain.Onnx;
using Onnx;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>Gemm, MatMul and Einsum.</summary>
internal static class LinearKernels
{
    public static IEnumerable<(string, KernelBuilder)> All =>
    [
        ("Gemm", (node, _) => Gemm(node)),
        ("MatMul", (_, _) => inputs => GraphValue.Of(matmul(inputs[0].Tensor!, inputs[1].Tensor!))),
        ("Einsum", (node, _) => Einsum(node)),
    ];

    /// <summary>The equation as written (the Domain's inspection has checked it: explicit letters, no ellipsis).</summary>
    private static Kernel Einsum(NodeProto node)
    {
        var equation = (node.Attribute.FirstOrDefault(a => a.Name == "equation")?.S.ToStringUtf8() ?? "").Replace(" ", "", StringComparison.Ordinal);
        return inputs => GraphValue.Of(einsum(equation, [.. inputs.Select(i => i.Tensor!)]));
    }

    private static Kernel Gemm(NodeProto node)
    {
        var transA = node.IntAttribute("transA", 0) != 0;
        var transB = node.IntAttribute("transB", 0) != 0;
        var alpha = node.FloatAttribute("alpha", 1f);
        var beta = node.FloatAttribute("beta", 1f);
        if (!transA && transB && alpha == 1f && beta == 1f)
            return inputs => GraphValue.Of(nn.functional.linear(inputs[0].Tensor!, inputs[1].Tensor!, inputs.Length > 2 ? inputs[2].Tensor : null));

        // Scalars captured by the kernel live as long as it (see LiveScalars).
        var (scaleProduct, scaleBias) = (alpha.ToScalar(), beta.ToScalar());
        return inputs =>
        {
            var a = transA ? inputs[0].Tensor!.t() : inputs[0].Tensor!;
            var b = transB ? inputs[1].Tensor!.t() : inputs[1].Tensor!;
            var y = matmul(a, b);
            if (alpha != 1f)
                y = y.mul(scaleProduct);
            if (inputs.Length > 2 && inputs[2].Tensor is { } c)
                y = y.add(beta == 1f ? c : c.mul(scaleBias), LiveScalars.One);
            return GraphValue.Of(y);
        };
    }
}
