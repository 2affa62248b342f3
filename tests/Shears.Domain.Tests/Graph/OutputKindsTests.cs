using Shears.Domain.Graph;
using Shears.Domain.Tests.Onnx;

namespace Shears.Domain.Tests.Graph;

/// <summary>
/// Which outputs the upload's inspection calls class scores and which values: embeddings that come out of an L2
/// normalisation or a mean pool over tokens are values, classifiers (a Linear head, or global pooling over class maps)
/// stay class scores, and anything not of rank 2 is values.
/// </summary>
public class OutputKindsTests
{
    [Theory]
    [InlineData("lenet5.onnx", "classes")]
    [InlineData("small_resnet.onnx", "classes")]
    [InlineData("token_encoder.onnx", "classes")] // its embedding ends in a Linear layer: say so with options.outputKinds
    [InlineData("zoo/vit.onnx", "classes")]
    [InlineData("zoo/bert.onnx", "classes")]
    [InlineData("zoo/textcnn.onnx", "classes")]
    [InlineData("zoo/sentence_encoder.onnx", "values")] // masked mean pool over the tokens
    [InlineData("zoo/dual_encoder.onnx", "values,values")] // F.normalize: Div by ReduceL2
    [InlineData("zoo/unet.onnx", "values")]
    [InlineData("zoo/yolo.onnx", "values")]
    public void The_inspection_tells_class_scores_from_values(string file, string expected)
    {
        var inspection = ModelInspector.Inspect(Fixtures.Bytes(file));

        Assert.Equal(expected, string.Join(",", inspection.Outputs.Select(o => o.Kind)));
    }

    [Theory]
    [InlineData("score", "values")] // [N, 1]: a softmax over one score is constant
    [InlineData("class_maps", "classes")] // SqueezeNet-style: global pooling over class maps
    [InlineData("pooler", "values")] // BERT's pooler: Tanh of a Linear
    public void A_hand_built_head_gets_its_kind(string head, string expected)
    {
        var b = new GraphBuilder("x", 1, 3, 8, 8);
        var features = b.Op("Relu", b.Conv("conv", b.Input, 3, 6, pad: 1));
        var pooled = b.Op("Flatten", b.Op("GlobalAveragePool", features));
        var output = head switch
        {
            "score" => b.Gemm("fc", pooled, 6, 1),
            "class_maps" => pooled,
            _ => b.Op("Tanh", b.Gemm("fc", pooled, 6, 6)),
        };

        Assert.Equal(expected, ModelInspector.Describe(b.Graph(output)).Outputs.Single().Kind);
    }

    [Fact]
    public void A_declared_kind_wins_over_the_graphs_and_an_older_inspection_without_kinds_counts_rank_two_as_class_scores()
    {
        var graph = Fixtures.Graph("lenet5.onnx");
        var output = graph.Outputs.Single().Name;

        Assert.Equal([OutputKind.Values], OutputKinds.Of(graph, new Dictionary<string, string> { [output] = OutputKinds.Values }));
        Assert.Null(OutputKinds.ClassOutput(graph, new Dictionary<string, string> { [output] = OutputKinds.Values }));
        Assert.Equal(OutputKind.Classes, OutputKinds.Of(new TensorDescription("logits", [-1, 10])));
        Assert.Equal(OutputKind.Values, OutputKinds.Of(new TensorDescription("masks", [-1, 3, 32, 32])));
        Assert.Equal(OutputKind.Values, OutputKinds.Of(new TensorDescription("score", [-1, 1])));
        Assert.Equal(OutputKind.Values, OutputKinds.Of(new TensorDescription("logits", [-1, 10]), new Dictionary<string, string> { ["logits"] = "values" }));
    }
}
