using Google.Protobuf;
using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Tests.Onnx;

namespace Shears.Domain.Tests.Graph;

/// <summary>
/// Variants of supported operators the engine would compute differently from ONNX are refused at upload,
/// naming the node and what it does, instead of training on a different function.
/// </summary>
public class UnsupportedVariantsTests
{
    [Theory]
    [InlineData("cubic", "half_pixel", "resizes in mode 'cubic'")]
    [InlineData("nearest", "half_pixel", "with 'half_pixel' coordinates")]
    public void A_resize_the_engine_computes_differently_is_refused_naming_it(string mode, string coordinates, string expected)
    {
        var b = new GraphBuilder("input", -1, 3, 8, 8);
        var x = b.Conv("conv", b.Input, 3, 4);
        var scales = b.Weight("scales", 4);
        x = b.Node("Resize", "upsample", [x, "", scales], Text("mode", mode), Text("coordinate_transformation_mode", coordinates));

        var error = Assert.Throws<InvalidModelException>(() => ModelInspector.Inspect(b.Bytes(x)));
        Assert.Contains("'upsample'", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_recurrent_layer_with_other_activations_is_refused_naming_it()
    {
        var b = new GraphBuilder("input", -1, 6, 4);
        var x = b.Node("Transpose", "time_major", [b.Input], GraphBuilder.Attr("perm", 1, 0, 2));
        var activations = new AttributeProto { Name = "activations", Type = AttributeProto.Types.AttributeType.Strings };
        activations.Strings.Add([ByteString.CopyFromUtf8("HardSigmoid"), ByteString.CopyFromUtf8("Tanh"), ByteString.CopyFromUtf8("Tanh")]);
        x = b.Node("LSTM", "rnn", [x, b.Weight("w", 1, 20, 4), b.Weight("r", 1, 20, 5)], GraphBuilder.Attr("hidden_size", 5), activations);

        var error = Assert.Throws<InvalidModelException>(() => ModelInspector.Inspect(b.Bytes(x)));
        Assert.Contains("LSTM 'rnn' is forward with layout 0, activations HardSigmoid/Tanh/Tanh", error.Message);
    }

    private static AttributeProto Text(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
}
