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
    public void A_bidirectional_gru_is_refused_naming_it()
    {
        var b = new GraphBuilder("input", -1, 6, 4);
        var x = b.Node("Transpose", "time_major", [b.Input], GraphBuilder.Attr("perm", 1, 0, 2));
        x = b.Node("GRU", "rnn", [x, b.Weight("w", 2, 15, 4), b.Weight("r", 2, 15, 5)], GraphBuilder.Attr("hidden_size", 5), Text("direction", "bidirectional"));

        var error = Assert.Throws<InvalidModelException>(() => ModelInspector.Inspect(b.Bytes(x)));
        Assert.Contains("GRU 'rnn' is bidirectional", error.Message);
    }

    private static AttributeProto Text(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
}
