namespace Shears.Worker.Tests;

/// <summary>Op-by-op parity with ONNX Runtime on small graphs built in code, covering attributes the fixtures do not use.</summary>
public class OpParityTests
{
    [Fact]
    public void Convolutions_pooling_and_normalization_match_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 4, 12, 12]);
        var x = b.Node("Conv", [b.Input, b.Weight(8, 2, 3, 3), b.Weight(8)], ("group", 2L), ("pads", new long[] { 1, 0, 2, 1 }), ("strides", new long[] { 1, 2 }));
        x = b.Node("BatchNormalization", [x, b.PositiveWeight(8), b.Weight(8), b.Weight(8), b.PositiveWeight(8)], ("epsilon", 1e-3f));
        x = b.Node("LeakyRelu", [x], ("alpha", 0.1f));
        x = b.Node("Conv", [x, b.Weight(8, 8, 3, 3)], ("dilations", new long[] { 2, 2 }), ("pads", new long[] { 2, 2, 2, 2 }));
        x = b.Node("Conv", [x, b.Weight(6, 8, 2, 2)], ("strides", new long[] { 2, 2 }), ("auto_pad", "SAME_UPPER"));
        x = b.Node("AveragePool", [x], ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }), ("count_include_pad", 1L));
        x = b.Node("Clip", [x, b.Scalar(-0.5f), b.Scalar(0.8f)]);
        x = b.Node("HardSigmoid", [x], ("alpha", 0.3f), ("beta", 0.4f));
        var pooled = b.Node("AveragePool", [x], ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }));
        var global = b.Node("GlobalAveragePool", [pooled]);
        x = b.Node("Flatten", [global]);
        x = b.Node("Gemm", [x, b.Weight(6, 5), b.Weight(5)], ("alpha", 0.7f), ("beta", 1.5f));
        x = b.Node("Softmax", [x], ("axis", 1L));
        AssertParity(b.Build(x), [3, 4, 12, 12]);
    }

    [Fact]
    public void Shape_arithmetic_padding_and_matrix_ops_match_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 3, 9, 9], opset: 14);
        var x = b.Node("Pad", [b.Input, b.Ints(0, 0, 1, 2, 0, 0, 2, 1), b.Scalar(0.25f)]);
        x = b.Node("Conv", [x, b.Weight(5, 3, 2, 2), b.Weight(5)]);
        x = b.Node("MaxPool", [x], ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("ceil_mode", 1L));
        x = b.Node("HardSwish", [x]);
        var shape = b.Node("Shape", [x]);
        var batch = b.Node("Gather", [shape, b.Ints(0)]);
        var target = b.Node("Concat", [batch, b.Ints(-1)], ("axis", 0L));
        x = b.Node("Reshape", [x, target]);
        var left = b.Node("Tanh", [b.Node("MatMul", [x, b.Weight(5 * 5 * 5, 7)])]);
        var right = b.Node("Sigmoid", [b.Node("Gemm", [x, b.Weight(7, 5 * 5 * 5), b.Weight(7)], ("transB", 1L))]);
        x = b.Node("Concat", [b.Node("Sub", [left, right]), b.Node("Div", [right, b.PositiveWeight(7)])], ("axis", 1L));
        x = b.Node("Unsqueeze", [x, b.Ints(1)]);
        x = b.Node("Transpose", [x], ("perm", new long[] { 0, 2, 1 }));
        x = b.Node("Squeeze", [x, b.Ints(2)]);
        x = b.Node("Mul", [b.Node("Identity", [b.Node("Dropout", [x])]), b.Scalar(2f)]);
        x = b.Node("LogSoftmax", [b.Node("Relu", [x])], ("axis", -1L));
        AssertParity(b.Build(x), [2, 3, 9, 9]);
    }

    [Fact]
    public void Instance_normalization_and_smooth_activations_match_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 4, 6, 6]);
        var x = b.Node("InstanceNormalization", [b.Input, b.Weight(4), b.Weight(4)], ("epsilon", 1e-3f));
        x = b.Node("PRelu", [x, b.Weight(4, 1, 1)]);
        x = b.Node("Conv", [b.Node("Softplus", [x]), b.Weight(6, 4, 3, 3), b.Weight(6)]);
        x = b.Node("Elu", [x], ("alpha", 0.7f));
        x = b.Node("Selu", [b.Node("Sub", [x, b.Scalar(0.8f)])]);
        x = b.Node("Selu", [x], ("alpha", 1.2f), ("gamma", 0.9f));
        OperatorParity.Assert(b.Build(x), [2, 4, 6, 6]);
    }

    [Fact]
    public void Class_token_expand_and_shape_selection_match_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 5, 8]);
        var batch = b.Node("Gather", [b.Node("Shape", [b.Input]), b.Ints(0)]);
        var target = b.Node("Concat", [batch, b.Ints(-1, -1)], ("axis", 0L));
        var minusOnes = b.Node("Mul", [b.Node("ConstantOfShape", [b.Ints(3)], ("value", Shears.Domain.Onnx.OnnxTensors.FromInt64s("", [1], [1]))), b.Ints(-1)]);
        var shape = b.Node("Where", [b.Node("Equal", [target, minusOnes]), b.Ints(1, 1, 1), target]);
        var token = b.Node("Expand", [b.Weight(1, 1, 8), shape]);
        var x = b.Node("Concat", [token, b.Input], ("axis", 1L));
        x = b.Node("Add", [b.Node("MatMul", [x, b.Weight(8, 8)]), b.Weight(8)]);
        x = b.Node("Where", [b.Node("Equal", [x, x]), x, b.Scalar(0f)]);
        OperatorParity.Assert(b.Build(x), [3, 5, 8]);
    }

    /// <summary>Position ids 0..T−1 from Range over the input's length, looked up in a table as a text export adds position embeddings.</summary>
    [Fact]
    public void Position_embeddings_looked_up_at_a_range_match_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 5, 8]);
        string Scalar(string vector) => b.Node("Squeeze", [vector, b.Ints(0)]);
        var length = Scalar(b.Node("Gather", [b.Node("Shape", [b.Input]), b.Ints(1)]));
        var positions = b.Node("Unsqueeze", [b.Node("Range", [Scalar(b.Ints(0)), length, Scalar(b.Ints(1))]), b.Ints(0)]);
        var x = b.Node("Add", [b.Input, b.Node("Gather", [b.Weight(7, 8), positions])]);
        x = b.Node("Add", [b.Node("MatMul", [x, b.Weight(8, 6)]), b.Weight(6)]);
        OperatorParity.Assert(b.Build(x), [3, 5, 8]);
    }

    private static void AssertParity(byte[] onnx, long[] shape)
    {
        var random = new Random(3);
        var input = new float[shape.Aggregate(1L, (a, c) => a * c)];
        for (var i = 0; i < input.Length; i++)
            input[i] = (float)random.NextDouble();
        var worst = Parity.MaxDifference(onnx, input, shape);
        Assert.True(worst < 1e-4, $"max |ORT − TorchSharp| = {worst}");
    }
}
