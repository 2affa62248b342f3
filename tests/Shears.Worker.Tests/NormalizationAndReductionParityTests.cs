namespace Shears.Worker.Tests;

/// <summary>
/// LayerNormalization (opset 17 and its earlier decomposition: ReduceMean, Sub, Pow, Sqrt, Div), Erf-GELU and
/// ReduceMean/ReduceSum/ReduceMax/ReduceMin/ReduceL1/ReduceL2/ReduceSumSquare against ONNX Runtime (values and inferred shapes).
/// </summary>
public class NormalizationAndReductionParityTests
{
    private static readonly string[] NormReductions = ["ReduceMin", "ReduceL1", "ReduceL2", "ReduceSumSquare"];

    [Fact]
    public void Layer_normalization_and_erf_gelu_over_a_channels_last_stream_match_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 4, 5, 5], opset: 17);
        var x = b.Node("Transpose", [b.Input], ("perm", new long[] { 0, 2, 3, 1 }));
        x = b.Node("LayerNormalization", [x, b.Weight(4), b.Weight(4)], ("axis", -1L), ("epsilon", 1e-6f));
        var hidden = b.Node("Add", [b.Node("MatMul", [x, b.Weight(4, 12)]), b.Weight(12)]);
        var erf = b.Node("Erf", [b.Node("Div", [hidden, b.Scalar(1.4142135f)])]);
        x = b.Node("Mul", [b.Node("Mul", [hidden, b.Node("Add", [erf, b.Scalar(1f)])]), b.Scalar(0.5f)]);
        x = b.Node("LayerNormalization", [x, b.Weight(5, 12)], ("axis", -2L));
        OperatorParity.Assert(b.Build(x), [3, 4, 5, 5]);
    }

    [Fact]
    public void Decomposed_layer_normalization_and_reductions_match_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 6, 8], opset: 13);
        var mean = b.Node("ReduceMean", [b.Input], ("axes", new long[] { -1 }));
        var centred = b.Node("Sub", [b.Input, mean]);
        var variance = b.Node("ReduceMean", [b.Node("Pow", [centred, b.Scalar(2f)])], ("axes", new long[] { -1 }));
        var x = b.Node("Div", [centred, b.Node("Sqrt", [b.Node("Add", [variance, b.Scalar(1e-5f)])])]);
        x = b.Node("Add", [b.Node("Mul", [x, b.Weight(8)]), b.Weight(8)]);
        var summed = b.Node("ReduceSum", [x, b.Ints(1)], ("keepdims", 0L));
        var maxed = b.Node("ReduceMax", [x], ("axes", new long[] { 1 }), ("keepdims", 0L));
        var pooled = b.Node("ReduceMean", [x], ("axes", new long[] { 1 }), ("keepdims", 0L));
        x = b.Node("Concat", [summed, maxed, pooled], ("axis", 1L));
        OperatorParity.Assert(b.Build(x), [3, 6, 8]);
    }

    /// <summary>F.normalize as exported (ReduceL2, Clip, Expand, Div) and the other reductions, over one axis and over two.</summary>
    [Fact]
    public void Norm_reductions_match_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 6, 8], opset: 13);
        var norm = b.Node("Clip", [b.Node("ReduceL2", [b.Input], ("axes", new long[] { 2 }), ("keepdims", 1L)), b.Scalar(1e-12f)]);
        var normalized = b.Node("Flatten", [b.Node("Div", [b.Input, b.Node("Expand", [norm, b.Node("Shape", [b.Input])])])], ("axis", 1L));
        var overBoth = NormReductions.Select(op => b.Node(op, [b.Input], ("axes", new long[] { 1, 2 }), ("keepdims", 1L)));
        var lastAxis = b.Node("ReduceSumSquare", [b.Input], ("axes", new long[] { -1 }), ("keepdims", 0L));
        var parts = overBoth.Select(r => b.Node("Flatten", [r], ("axis", 1L))).Prepend(normalized).Append(lastAxis).ToArray();
        OperatorParity.Assert(b.Build(b.Node("Concat", parts, ("axis", 1L))), [3, 6, 8]);
    }

    [Fact]
    public void Gelu_exact_and_tanh_approximated_matches_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 6, 8], opset: 20);
        var x = b.Node("Gelu", [b.Node("MatMul", [b.Input, b.Weight(8, 8)])]);
        x = b.Node("Gelu", [b.Node("Mul", [x, b.Scalar(3f)])], ("approximate", "tanh"));
        OperatorParity.Assert(b.Build(x), [3, 6, 8]);
    }
}
