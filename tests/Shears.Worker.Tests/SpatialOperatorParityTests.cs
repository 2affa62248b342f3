using Shears.Domain.Onnx;
using Shears.Worker.Engine.Graph;
using static TorchSharp.torch;

namespace Shears.Worker.Tests;

/// <summary>1-D and 3-D convolution and pooling, ConvTranspose and GlobalMaxPool against ONNX Runtime (values and inferred shapes).</summary>
public class SpatialOperatorParityTests
{
    /// <summary>A Conv that cuts its input into patches (stride = kernel, a ViT's patch embedding) runs as one matrix product over them.</summary>
    [Fact]
    public void Patch_convolution_matches_onnx_runtime_and_convolution_gradients()
    {
        var b = new OnnxBuilder([-1, 3, 12, 16]);
        var x = b.Node("Conv", [b.Input, b.Weight(5, 3, 3, 4), b.Weight(5)], ("kernel_shape", new long[] { 3, 4 }), ("strides", new long[] { 3, 4 }));
        x = b.Node("Transpose", [b.Node("Reshape", [x, b.Ints(0, 5, -1)])], ("perm", new long[] { 0, 2, 1 }));
        var onnx = b.Build(b.Node("MatMul", [x, b.Weight(5, 2)]));
        OperatorParity.Assert(onnx, [2, 3, 12, 16]);

        using var scope = NewDisposeScope();
        using var module = new GraphModule(OnnxGraph.Parse(onnx), CPU);
        var input = randn(2, 3, 12, 16);
        module.forward(input).square().sum().backward();
        var (weight, bias, projection) = (module.Parameters.Values.ElementAt(0), module.Parameters.Values.ElementAt(1), module.Parameters.Values.ElementAt(2));
        var (w, c, p) = (weight.detach().requires_grad_(true), bias.detach().requires_grad_(true), projection.detach().requires_grad_(true));
        var tokens = nn.functional.conv2d(input, w, c, strides: [3, 4]).reshape(2, 5, -1).transpose(1, 2);
        tokens.matmul(p).square().sum().backward();
        Assert.True(weight.grad!.allclose(w.grad!, rtol: 1e-4, atol: 1e-4));
        Assert.True(bias.grad!.allclose(c.grad!, rtol: 1e-4, atol: 1e-4));
        Assert.True(projection.grad!.allclose(p.grad!, rtol: 1e-4, atol: 1e-4));
    }

    /// <summary>
    /// Max pooling over windows that tile the input runs as maxima of strided views when no gradient flows (a teacher,
    /// an evaluation): the same values as max_pool, which training runs, for 1, 2 and 3 spatial axes, sizes the windows do
    /// not divide (floor), ceil_mode on sizes they do, and NaN.
    /// </summary>
    [Theory]
    [InlineData(new long[] { 3, 2, 9 }, new long[] { 3 }, 0L)]
    [InlineData(new long[] { 4, 5, 24, 24 }, new long[] { 2, 2 }, 0L)]
    [InlineData(new long[] { 4, 5, 25, 23 }, new long[] { 2, 3 }, 0L)]
    [InlineData(new long[] { 2, 3, 12, 12 }, new long[] { 2, 2 }, 1L)]
    [InlineData(new long[] { 2, 2, 6, 8, 7 }, new long[] { 2, 2, 2 }, 0L)]
    public void Max_pooling_without_a_gradient_gives_what_training_computes(long[] shape, long[] kernel, long ceil)
    {
        var b = new OnnxBuilder([-1, .. shape[1..]]);
        using var module = new GraphModule(OnnxGraph.Parse(b.Build(b.Node("MaxPool", [b.Input], ("kernel_shape", kernel), ("strides", kernel), ("ceil_mode", ceil)))), CPU);
        using var scope = NewDisposeScope();
        var input = randn(shape);
        input.view(-1)[7].fill_(float.NaN);

        var trained = module.forward(input.requires_grad_(true));
        Tensor inferred;
        using (inference_mode())
            inferred = module.forward(input.detach());

        Assert.True(trained.requires_grad);
        Assert.Equal(trained.shape, inferred.shape);
        Assert.True(trained.detach().nan_to_num(1e9).eq(inferred.nan_to_num(1e9)).all().item<bool>());
        Assert.Equal(1, inferred.isnan().sum().item<long>());
    }

    [Fact]
    public void One_dimensional_convolution_and_pooling_match_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 2, 40]);
        var x = b.Node("Conv", [b.Input, b.Weight(6, 2, 5), b.Weight(6)], ("strides", new long[] { 2 }), ("pads", new long[] { 2, 1 }));
        x = b.Node("MaxPool", [x], ("kernel_shape", new long[] { 3 }), ("strides", new long[] { 2 }), ("pads", new long[] { 1, 1 }));
        x = b.Node("Conv", [x, b.Weight(6, 3, 3)], ("group", 2L), ("dilations", new long[] { 2 }));
        x = b.Node("AveragePool", [x], ("kernel_shape", new long[] { 2 }), ("strides", new long[] { 1 }), ("ceil_mode", 1L));
        x = b.Node("ConvTranspose", [x, b.Weight(6, 4, 3), b.Weight(4)], ("strides", new long[] { 2 }), ("pads", new long[] { 1, 0 }), ("output_padding", new long[] { 1 }));
        x = b.Node("GlobalMaxPool", [x]);
        OperatorParity.Assert(b.Build(x), [3, 2, 40]);
    }

    [Fact]
    public void Three_dimensional_convolution_and_pooling_match_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 2, 6, 8, 8]);
        var x = b.Node("Conv", [b.Input, b.Weight(4, 2, 3, 3, 3), b.Weight(4)], ("pads", new long[] { 1, 1, 1, 1, 1, 1 }));
        x = b.Node("MaxPool", [x], ("kernel_shape", new long[] { 2, 2, 2 }), ("strides", new long[] { 2, 2, 2 }));
        x = b.Node("AveragePool", [x], ("kernel_shape", new long[] { 1, 3, 3 }), ("pads", new long[] { 0, 1, 1, 0, 1, 1 }), ("count_include_pad", 1L));
        x = b.Node("ConvTranspose", [x, b.Weight(4, 3, 2, 2, 2)], ("strides", new long[] { 2, 2, 2 }));
        x = b.Node("GlobalAveragePool", [x]);
        OperatorParity.Assert(b.Build(x), [2, 2, 6, 8, 8]);
    }

    [Fact]
    public void Two_dimensional_transposed_convolution_with_unequal_pads_matches_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 3, 7, 7]);
        var x = b.Node("ConvTranspose", [b.Input, b.Weight(3, 5, 3, 3), b.Weight(5)],
            ("strides", new long[] { 2, 2 }), ("pads", new long[] { 0, 1, 2, 1 }), ("dilations", new long[] { 1, 2 }), ("output_padding", new long[] { 1, 0 }));
        x = b.Node("Relu", [x]);
        x = b.Node("GlobalMaxPool", [x]);
        OperatorParity.Assert(b.Build(x), [2, 3, 7, 7]);
    }
}
