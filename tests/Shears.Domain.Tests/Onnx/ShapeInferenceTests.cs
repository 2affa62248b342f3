using Onnx;
using Shears.Domain.Graph;
using static Shears.Domain.Tests.Onnx.GraphBuilder;

namespace Shears.Domain.Tests.Onnx;

public class ShapeInferenceTests
{
    [Fact]
    public void ConvolutionsFollowPadsStridesDilationsGroupsAndAutoPad()
    {
        var b = new GraphBuilder("x", 1, 4, 17, 17);
        var w = b.Weight("w", 8, 2, 3, 3);
        var strided = b.Node("Conv", "strided", [b.Input, w], Attr("group", 2), Attr("strides", 2, 2), Attr("pads", 1, 1, 1, 1));
        var dilated = b.Node("Conv", "dilated", [b.Input, b.Weight("d", 6, 4, 3, 3)], Attr("dilations", 2, 2));
        var same = b.Node("Conv", "same", [b.Input, b.Weight("s", 5, 4, 4, 4)], Attr("strides", 3, 3), AutoPad("SAME_UPPER"));
        var shapes = b.Graph(same).Shapes;
        Assert.Equal([-1, 8, 9, 9], shapes[strided]); // (17 + 2 − 3)/2 + 1
        Assert.Equal([-1, 6, 13, 13], shapes[dilated]); // 17 − 2·2
        Assert.Equal([-1, 5, 6, 6], shapes[same]); // ⌈17/3⌉
    }

    [Fact]
    public void PoolingRoundsUpOnlyWhereTheLastWindowStartsInside()
    {
        var b = new GraphBuilder("x", 1, 2, 7, 7);
        var ceil = b.Node("MaxPool", "ceil", [b.Input], Attr("kernel_shape", 2, 2), Attr("strides", 2, 2), Attr("ceil_mode", 1));
        var floor = b.Node("AveragePool", "floor", [b.Input], Attr("kernel_shape", 3, 3), Attr("strides", 2, 2), Attr("pads", 1, 1, 1, 1));
        var global = b.Op("GlobalAveragePool", floor);
        var shapes = b.Graph(global).Shapes;
        Assert.Equal([-1, 2, 4, 4], shapes[ceil]);
        Assert.Equal([-1, 2, 4, 4], shapes[floor]);
        Assert.Equal([-1, 2, 1, 1], shapes[global]);
    }

    [Fact]
    public void ViewFlattenAndPadArithmeticResolveStatically()
    {
        var (b, pads, padded, batch, flat) = PadThenView();
        var shapes = b.Graph(flat).Shapes;
        Assert.Equal([0, 0, 2, 1, 0, 0, 2, 1], shapes.Values[pads]);
        Assert.Equal([-1, 3, 8, 6], shapes[padded]);
        Assert.Equal([-1, 144], shapes[flat]);
        Assert.Equal([Shears.Domain.Onnx.TensorShapes.SymbolicValue], shapes.Values[batch]);
    }

    [Fact]
    public void FoldingReplacesStaticShapeArithmeticAndKeepsTheBatchDependentPart()
    {
        var (b, _, _, _, flat) = PadThenView();
        var graph = b.Graph(flat);
        var folded = Shears.Domain.Onnx.ShapeFolding.Fold(graph);
        Assert.Equal(["Concat", "Gather", "Pad", "Reshape", "Shape", "Unsqueeze"], folded.Nodes.Select(n => n.OpType).Distinct().Order());
        long[] input = [2, 3, 4, 4];
        OnnxRuntimeRunner.AssertClose(OnnxRuntimeRunner.Run(graph.ToBytes(), input), OnnxRuntimeRunner.Run(folded.ToBytes(), input), 0);
    }

    /// <summary>
    /// F.pad(x, (1, 1, 2, 2)) as torch.onnx.export writes it (ConstantOfShape → Concat → Reshape → Slice(reverse)
    /// → Transpose → Reshape → Cast), then x.view(x.size(0), -1).
    /// </summary>
    private static (GraphBuilder Builder, string Pads, string Padded, string Batch, string Flat) PadThenView()
    {
        var b = new GraphBuilder("x", 1, 3, 4, 4);
        var zeros = b.Node("ConstantOfShape", "zeros", [b.Ints("four", 4)],
            new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = Shears.Domain.Onnx.OnnxTensors.FromInt64s("", [1], [0]) });
        var pairs = b.Op("Reshape", b.Node("Concat", "torch_pads", [b.Ints("given", 1, 1, 2, 2), zeros], Attr("axis", 0)), b.Ints("pairs", -1, 2));
        var reversed = b.Op("Slice", pairs, b.Ints("start", -1), b.Ints("end", -9223372036854775807), b.Ints("axis0", 0), b.Ints("step", -1));
        var pads = b.Node("Cast", "cast", [b.Op("Reshape", b.Node("Transpose", "swap", [reversed], Attr("perm", 1, 0)), b.Ints("flat", -1))], Attr("to", 7));
        var padded = b.Op("Pad", b.Input, pads);
        var batch = b.Op("Unsqueeze", b.Node("Gather", "n", [b.Op("Shape", padded), b.IntScalar("zero", 0)]), b.Ints("axes", 0));
        var flat = b.Op("Reshape", padded, b.Node("Concat", "target", [batch, b.Ints("rest", -1)], Attr("axis", 0)));
        return (b, pads, padded, batch, flat);
    }

    [Fact]
    public void MatricesFlattenSqueezeAndTransposeKeepTheirBookkeeping()
    {
        var b = new GraphBuilder("x", 1, 6, 1, 1);
        var squeezed = b.Op("Squeeze", b.Input, b.Ints("spatial", 2, 3));
        var gemm = b.Node("Gemm", "fc", [squeezed, b.Weight("w", 6, 5)], Attr("transB", 0));
        var unsqueezed = b.Op("Unsqueeze", gemm, b.Ints("middle", 1));
        var batched = b.Op("MatMul", unsqueezed, b.Weight("m", 5, 7));
        var transposed = b.Node("Transpose", "t", [batched], Attr("perm", 2, 0, 1));
        var flattened = b.Node("Flatten", "f", [transposed], Attr("axis", 2));
        var shapes = b.Graph(flattened).Shapes;
        Assert.Equal([-1, 6], shapes[squeezed]);
        Assert.Equal([-1, 5], shapes[gemm]);
        Assert.Equal([-1, 1, 7], shapes[batched]);
        Assert.Equal([7, -1, 1], shapes[transposed]);
        Assert.Equal([-1, 1], shapes[flattened]);
    }

    [Fact]
    public void MismatchedChannelsAreRefused()
    {
        var b = new GraphBuilder("x", 1, 3, 8, 8);
        var conv = b.Conv("conv", b.Input, 4, 2);
        Assert.Throws<InvalidModelException>(() => b.Graph(conv).Shapes);
    }

    private static AttributeProto AutoPad(string mode) =>
        new() { Name = "auto_pad", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8(mode) };
}
