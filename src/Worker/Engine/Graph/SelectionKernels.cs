using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>Equal, Where (on host integers for shape arithmetic, else on tensors) and Expand.</summary>
internal static class SelectionKernels
{
    public static IEnumerable<(string, KernelBuilder)> All =>
    [
        ("Equal", (_, context) => inputs => inputs[0].IsHost && inputs[1].IsHost
            ? GraphValue.Of(Elementwise([inputs[0].Ints!, inputs[1].Ints!], v => v[0] == v[1] ? 1 : 0))
            : GraphValue.Of(inputs[0].AsTensor(context.Device).eq(inputs[1].AsTensor(context.Device)))),
        ("Where", (_, context) => inputs => inputs.All(i => i.IsHost)
            ? GraphValue.Of(Elementwise([.. inputs.Select(i => i.Ints!)], v => v[0] != 0 ? v[1] : v[2]))
            : GraphValue.Of(where(inputs[0].AsTensor(context.Device).to(ScalarType.Bool), inputs[1].AsTensor(context.Device), inputs[2].AsTensor(context.Device)))),
        ("Expand", (_, context) => inputs => GraphValue.Of(Expand(inputs[0].AsTensor(context.Device), inputs[1].AsInts().Data))),
    ];

    /// <summary>Element by element over vectors of one length (single values broadcast): what shape arithmetic needs.</summary>
    private static HostInts Elementwise(HostInts[] operands, Func<long[], long> op)
    {
        var longest = operands.MaxBy(o => o.Data.Length)!;
        if (operands.Any(o => o.Data.Length != longest.Data.Length && o.Data.Length != 1))
            throw new NotSupportedException("Shape arithmetic with mismatched lengths is not supported.");
        var result = new long[longest.Data.Length];
        for (var i = 0; i < result.Length; i++)
            result[i] = op([.. operands.Select(o => o.Data[o.Data.Length == 1 ? 0 : i])]);
        return new HostInts(result, longest.Shape);
    }

    /// <summary>Broadcasts x to the target shape numpy-style (a target 1 keeps x's size), as ONNX Expand does.</summary>
    private static Tensor Expand(Tensor x, long[] target)
    {
        var rank = Math.Max(x.dim(), target.Length);
        var shape = new long[rank];
        for (var i = 0; i < rank; i++)
        {
            var own = i < rank - x.dim() ? 1 : x.shape[i - (rank - x.dim())];
            var wanted = i < rank - target.Length ? 1 : target[i - (rank - target.Length)];
            shape[i] = wanted == 1 ? own : wanted;
        }
        return x.dim() < rank ? x.reshape([.. Enumerable.Repeat(1L, (int)(rank - x.dim())), .. x.shape]).expand(shape) : x.expand(shape);
    }
}
