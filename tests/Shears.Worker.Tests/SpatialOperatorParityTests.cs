namespace Shears.Worker.Tests;

/// <summary>1-D and 3-D convolution and pooling, ConvTranspose and GlobalMaxPool against ONNX Runtime (values and inferred shapes).</summary>
public class SpatialOperatorParityTests
{
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
