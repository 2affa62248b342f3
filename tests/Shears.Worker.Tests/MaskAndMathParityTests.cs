using Google.Protobuf;
using Onnx;
using Shears.Domain.Onnx;

namespace Shears.Worker.Tests;

/// <summary>
/// Parity with ONNX Runtime for what decoders, T5-style encoders, super-resolution networks and newer exporters bring:
/// causal masks (Trilu, a uint8 mask buffer cast to bool for Where), comparisons and logic, relative-position buckets
/// computed from the length, pointwise math, Mod and ScatterND, DepthToSpace / SpaceToDepth and opset 18's Pad axes.
/// </summary>
public class MaskAndMathParityTests
{
    /// <summary>Scores [N, 2 heads, 6, 6] masked two ways as exports write a causal mask, then softmaxed.</summary>
    [Fact]
    public void Causal_masks_from_trilu_and_from_a_uint8_buffer_match_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 2, 6, 6], opset: 14);
        var minus = OnnxTensors.FromFloats("", [1], [-1e4f]);
        var upper = b.Node("Trilu", [b.Node("ConstantOfShape", [b.Ints(6, 6)], ("value", minus)), b.IntScalar(1)]);
        var x = b.Node("Softmax", [b.Node("Add", [b.Input, upper])], ("axis", -1L));

        var buffer = new byte[8 * 8];
        for (var i = 0; i < 8; i++)
            for (var j = 0; j <= i; j++)
                buffer[(i * 8) + j] = 1;
        var mask = new TensorProto { DataType = (int)TensorProto.Types.DataType.Uint8, RawData = ByteString.CopyFrom(buffer) };
        mask.Dims.AddRange([1, 1, 8, 8]);
        var causal = b.Node("Cast", [b.Node("Slice", [b.Initializer(mask), b.Ints(0, 0), b.Ints(6, 6), b.Ints(2, 3)])], ("to", (long)TensorProto.Types.DataType.Bool));
        var lowerOnly = b.Node("Trilu", [b.Node("Mul", [x, b.Scalar(3f)])], ("upper", 0L));
        x = b.Node("Where", [causal, lowerOnly, b.Scalar(-1e4f)]);
        var positive = b.Node("Greater", [x, b.Scalar(0.2f)]);
        var small = b.Node("Less", [x, b.Scalar(0.6f)]);
        var band = b.Node("Or", [b.Node("And", [positive, small]), b.Node("Not", [b.Node("GreaterOrEqual", [x, b.Scalar(-1f)])])]);
        x = b.Node("Add", [b.Node("Softmax", [x], ("axis", -1L)), b.Node("Cast", [band], ("to", 1L))]);
        x = b.Node("Add", [x, b.Node("Cast", [b.Node("LessOrEqual", [x, b.Scalar(0.5f)])], ("to", 1L))]);
        OperatorParity.Assert(b.Build(x), [3, 2, 6, 6]);
    }

    /// <summary>
    /// A T5-style relative-position bias: positions from Range over the input's length, their differences (a [T, 1]
    /// column against a [1, T] row, so int64 tensors), log-spaced buckets with Abs, Less, Log, Min and Where, and a
    /// table of 16 buckets × 2 heads looked up and added to the scores.
    /// </summary>
    [Fact]
    public void Relative_position_buckets_computed_from_the_length_match_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 2, 7, 7]);
        var length = b.Node("Squeeze", [b.Node("Gather", [b.Node("Shape", [b.Input]), b.Ints(3)]), b.Ints(0)]);
        var positions = b.Node("Range", [b.IntScalar(0), length, b.IntScalar(1)]);
        var relative = b.Node("Sub", [b.Node("Unsqueeze", [positions, b.Ints(0)]), b.Node("Unsqueeze", [positions, b.Ints(1)])]);
        var after = b.Node("Mul", [b.Node("Cast", [b.Node("Greater", [relative, b.Ints(0)])], ("to", 7L)), b.Ints(8)]);
        var distance = b.Node("Abs", [relative]);
        var exact = b.Node("Less", [distance, b.Ints(4)]);
        var logSpaced = b.Node("Log", [b.Node("Div", [b.Node("Cast", [distance], ("to", 1L)), b.Scalar(4f)])]);
        var large = b.Node("Cast", [b.Node("Add", [b.Node("Mul", [logSpaced, b.Scalar(2.885f)]), b.Scalar(4f)])], ("to", 7L));
        large = b.Node("Min", [large, b.Ints(7)]);
        var bucket = b.Node("Add", [after, b.Node("Where", [exact, distance, large])]);
        var bias = b.Node("Unsqueeze", [b.Node("Transpose", [b.Node("Gather", [b.Weight(16, 2), bucket])], ("perm", new long[] { 2, 0, 1 })), b.Ints(0)]);
        var x = b.Node("Add", [b.Input, bias]);
        x = b.Node("Max", [b.Node("Neg", [x]), b.Node("Sign", [x])]);
        OperatorParity.Assert(b.Build(x), [2, 2, 7, 7]);
    }

    /// <summary>A T5 RMSNorm written with Reciprocal, and the pointwise functions exports use for positions and activations.</summary>
    [Fact]
    public void Reciprocal_norm_and_pointwise_math_match_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 5, 8], opset: 18);
        var meanSquare = b.Node("ReduceMean", [b.Node("Pow", [b.Input, b.Scalar(2f)]), b.Ints(-1)]);
        var x = b.Node("Mul", [b.Node("Mul", [b.Input, b.Node("Reciprocal", [b.Node("Sqrt", [b.Node("Add", [meanSquare, b.Scalar(1e-6f)])])])]), b.PositiveWeight(8)]);
        x = b.Node("MatMul", [x, b.Weight(8, 8)]);
        var waves = b.Node("Add", [b.Node("Sin", [x]), b.Node("Cos", [b.Node("Mul", [x, b.Scalar(2f)])])]);
        var grown = b.Node("Log", [b.Node("Add", [b.Node("Exp", [b.Node("Neg", [x])]), b.Scalar(1f)])]);
        var steps = b.Node("Add", [b.Node("Floor", [b.Node("Mul", [x, b.Scalar(3f)])]), b.Node("Ceil", [b.Node("Mul", [x, b.Scalar(2f)])])]);
        x = b.Node("Add", [b.Node("Add", [waves, grown]), b.Node("Mul", [steps, b.Scalar(0.1f)])]);
        x = b.Node("Mish", [b.Node("Abs", [x])]);
        OperatorParity.Assert(b.Build(x), [3, 5, 8]);
    }

    /// <summary>ESPCN's PixelShuffle (DepthToSpace, CRD as PyTorch exports it, and the DCR default) and its inverse.</summary>
    [Theory]
    [InlineData("CRD")]
    [InlineData("DCR")]
    public void Depth_to_space_and_back_match_onnx_runtime(string mode)
    {
        var b = new OnnxBuilder([-1, 2, 5, 4]);
        var x = b.Node("Conv", [b.Input, b.Weight(18, 2, 3, 3), b.Weight(18)], ("pads", new long[] { 1, 1, 1, 1 }));
        x = b.Node("DepthToSpace", [x], ("blocksize", 3L), ("mode", mode));
        x = b.Node("Conv", [b.Node("Tanh", [x]), b.Weight(4, 2, 3, 3)], ("pads", new long[] { 1, 1, 1, 1 }));
        x = b.Node("SpaceToDepth", [x], ("blocksize", 3L));
        OperatorParity.Assert(b.Build(x), [2, 2, 5, 4]);
    }

    /// <summary>
    /// Swin's window-mask arithmetic: Mod with Python's sign (fmod 0) on integers and C's (fmod 1) on floats, and ScatterND
    /// writing rows (index tuples of length 1) and single elements (length 2, one negative) into a tensor of zeros.
    /// </summary>
    [Fact]
    public void Mod_and_scatter_nd_match_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 4, 5]);
        var integers = b.Node("Cast", [b.Node("Mul", [b.Input, b.Scalar(10f)])], ("to", 7L));
        var x = b.Node("Cast", [b.Node("Mod", [integers, b.Ints(3)])], ("to", 1L));
        x = b.Node("Add", [x, b.Node("Mod", [b.Node("Mul", [b.Input, b.Scalar(5f)]), b.Scalar(1.5f)], ("fmod", 1L))]);
        var zeros = b.Node("ConstantOfShape", [b.Ints(4, 5)], ("value", OnnxTensors.FromFloats("", [1], [0f])));
        var rows = b.Node("ScatterND", [zeros, b.Initializer(OnnxTensors.FromInt64s("", [2, 1], [1, 3])), b.Weight(2, 5)]);
        var cells = b.Node("ScatterND", [rows, b.Initializer(OnnxTensors.FromInt64s("", [3, 2], [0, 0, -1, -1, 2, 3])), b.Floats(7f, -2f, 0.5f)]);
        OperatorParity.Assert(b.Build(b.Node("Add", [x, cells])), [3, 4, 5]);
    }

    /// <summary>Opset 18 pads only the axes its fourth input names.</summary>
    [Fact]
    public void Opset_18_pad_on_some_axes_matches_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 3, 5, 6], opset: 18);
        var x = b.Node("Pad", [b.Input, b.Ints(2, 0, 1, 3), b.Scalar(0.5f), b.Ints(-1, 2)]);
        x = b.Node("Conv", [x, b.Weight(4, 3, 3, 3)]);
        x = b.Node("Pad", [x, b.Ints(1, 1), b.Scalar(0f), b.Ints(3)], ("mode", "reflect"));
        OperatorParity.Assert(b.Build(x), [2, 3, 5, 6]);
    }
}
