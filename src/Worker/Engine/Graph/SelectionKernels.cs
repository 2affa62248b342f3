using Shears.Domain.Onnx;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>Comparisons, Where (on host integers for shape arithmetic, else on tensors), Expand, Trilu and ScatterND.</summary>
internal static class SelectionKernels
{
    public static IEnumerable<(string, KernelBuilder)> All =>
    [
        ("Equal", Comparison((a, b) => a == b, (a, b) => a.eq(b))),
        ("Greater", Comparison((a, b) => a > b, (a, b) => a.gt(b))),
        ("Less", Comparison((a, b) => a < b, (a, b) => a.lt(b))),
        ("GreaterOrEqual", Comparison((a, b) => a >= b, (a, b) => a.ge(b))),
        ("LessOrEqual", Comparison((a, b) => a <= b, (a, b) => a.le(b))),
        ("And", Comparison((a, b) => a != 0 && b != 0, (a, b) => a.to(ScalarType.Bool).logical_and(b.to(ScalarType.Bool)))),
        ("Or", Comparison((a, b) => a != 0 || b != 0, (a, b) => a.to(ScalarType.Bool).logical_or(b.to(ScalarType.Bool)))),
        ("Trilu", Trilu),
        ("ScatterND", (_, context) => ScatterND(context)),
        ("Where", (_, context) => inputs => inputs.All(i => i.IsHost) && HostInts.Aligned([.. inputs.Select(i => i.Ints!)])
            ? GraphValue.Of(Elementwise([.. inputs.Select(i => i.Ints!)], v => v[0] != 0 ? v[1] : v[2]))
            : GraphValue.Of(where(inputs[0].AsTensor(context.Device).to(ScalarType.Bool), inputs[1].AsTensor(context.Device), inputs[2].AsTensor(context.Device)))),
        ("Expand", (_, context) => inputs => GraphValue.Of(Expand(inputs[0].AsTensor(context.Device), inputs[1].AsInts().Data))),
    ];

    /// <summary>A comparison on host integers when both sides are (shape and index arithmetic), else on tensors.</summary>
    private static KernelBuilder Comparison(Func<long, long, bool> onHost, Func<Tensor, Tensor, Tensor> onTensors) => (_, context) => inputs =>
        inputs[0].Ints is { } a && inputs[1].Ints is { } b && HostInts.Aligned(a, b)
            ? GraphValue.Of(Elementwise([inputs[0].Ints!, inputs[1].Ints!], v => onHost(v[0], v[1]) ? 1 : 0))
            : GraphValue.Of(onTensors(inputs[0].AsTensor(context.Device), inputs[1].AsTensor(context.Device)));

    /// <summary>The upper (upper = 1, the default) or lower triangle of the last two axes from diagonal k; the rest zero.</summary>
    private static Kernel Trilu(Onnx.NodeProto node, IKernelContext context)
    {
        var upper = node.IntAttribute("upper", 1) != 0;
        return inputs =>
        {
            var k = inputs.Length > 1 && inputs[1].Ints is { } offset ? offset.Data[0] : 0;
            var x = inputs[0].AsTensor(context.Device);
            var kept = upper ? x.triu(k) : x.tril(k);
            return inputs[0].IsHost ? GraphValue.Of(new HostInts(kept.cpu().data<long>().ToArray(), kept.shape)) : GraphValue.Of(kept);
        };
    }

    /// <summary>
    /// A copy of data with updates written at the index tuples of the last axis of indices (over data's first k axes;
    /// negative indices count from the end): the tuples become row numbers of data viewed as [rows, rest…].
    /// </summary>
    private static Kernel ScatterND(IKernelContext context) => inputs =>
    {
        using var scope = NewDisposeScope();
        var data = inputs[0].AsTensor(context.Device);
        var indices = inputs[1].AsTensor(context.Device).to_type(ScalarType.Int64);
        var k = (int)indices.shape[^1];
        var leading = data.shape[..k];
        var rest = data.shape[k..];
        var strides = new long[k];
        for (var (i, stride) = (k - 1, 1L); i >= 0; stride *= leading[i], i--)
            strides[i] = stride;
        var tuples = indices.reshape(-1, k);
        tuples = where(tuples < 0, tuples + tensor(leading, device: context.Device), tuples);
        var rows = (tuples * tensor(strides, device: context.Device)).sum(1);
        var updates = inputs[2].AsTensor(context.Device).to_type(data.dtype).reshape([-1, .. rest]);
        var written = data.reshape([leading.Aggregate(1L, (a, d) => a * d), .. rest]).index_copy(0, rows, updates).reshape(data.shape);
        return inputs[0].IsHost && inputs[2].IsHost
            ? GraphValue.Of(new HostInts(written.cpu().data<long>().ToArray(), written.shape))
            : GraphValue.Of(written.MoveToOuterDisposeScope());
    };

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
