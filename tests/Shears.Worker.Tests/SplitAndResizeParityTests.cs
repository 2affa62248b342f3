namespace Shears.Worker.Tests;

/// <summary>Split (sizes as input, equal parts) and Resize (nearest by scales, bilinear by sizes, align-corners) against ONNX Runtime.</summary>
public class SplitAndResizeParityTests
{
    [Fact]
    public void Split_into_uneven_and_equal_parts_matches_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 6, 6, 6]);
        var x = b.Node("Conv", [b.Input, b.Weight(10, 6, 3, 3), b.Weight(10)], ("pads", new long[] { 1, 1, 1, 1 }));
        var parts = b.Nodes("Split", 3, [x, b.Ints(2, 5, 3)], ("axis", 1L));
        var rows = b.Nodes("Split", 2, [parts[1]], ("axis", 2L));
        var tail = b.Node("Conv", [b.Node("Concat", [rows[1], rows[0]], ("axis", 2L)), b.Weight(4, 5, 1, 1)]);
        x = b.Node("Concat", [parts[0], b.Node("Relu", [tail]), parts[2]], ("axis", 1L));
        OperatorParity.Assert(b.Build(x), [2, 6, 6, 6]);
    }

    [Fact]
    public void Resize_nearest_bilinear_and_aligned_corners_match_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 3, 6, 6]);
        var x = b.Node("Resize", [b.Input, "", b.Floats(1, 1, 2, 2)], ("mode", "nearest"), ("coordinate_transformation_mode", "asymmetric"), ("nearest_mode", "floor"));
        x = b.Node("Conv", [x, b.Weight(4, 3, 3, 3), b.Weight(4)]);
        var sizes = b.Node("Concat", [b.Node("Slice", [b.Node("Shape", [x]), b.Ints(0), b.Ints(2)]), b.Ints(17, 13)], ("axis", 0L));
        x = b.Node("Resize", [x, "", "", sizes], ("mode", "linear"), ("coordinate_transformation_mode", "half_pixel"));
        x = b.Node("Resize", [x, "", b.Floats(1, 1, 0.5f, 0.5f)], ("mode", "linear"), ("coordinate_transformation_mode", "align_corners"));
        OperatorParity.Assert(b.Build(x), [2, 3, 6, 6]);
    }
}
