using Google.Protobuf;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;
using Shears.Domain.Tests.Onnx;

namespace Shears.Domain.Tests.Graph;

public class SurgeryTests
{
    public static TheoryData<string> CouplingKinds => ["Mlp", "ConvIntoGemm", "Residual", "Concat", "Depthwise", "SharedWeight", "SqueezeExcitation", "ChannelsLast"];

    [Theory]
    [MemberData(nameof(CouplingKinds))]
    public void PrunedModelComputesWhatTheMaskedModelComputes(string kind)
    {
        var (builder, output) = ((GraphBuilder, string))typeof(CouplingGraphs).GetMethod(kind)!.Invoke(null, null)!;
        var inputShape = kind == "Mlp" ? CouplingGraphs.VectorInput : CouplingGraphs.ImageInput;
        AssertPrunedMatchesMasked(builder.Graph(output), inputShape);
    }

    [Theory]
    [InlineData("tiny_cnn.onnx")]
    [InlineData("tiny_mlp.onnx")]
    [InlineData("lenet5.onnx")]
    [InlineData("mlp.onnx")]
    public void PrunedFixtureComputesWhatTheMaskedFixtureComputes(string file)
    {
        if (!Fixtures.Exists(file))
            return; // the fixtures helper adds the larger networks later
        var graph = Fixtures.Graph(file);
        AssertPrunedMatchesMasked(graph, [3, .. graph.InputShape.Skip(1)]);
    }

    [Fact]
    public void PruningShrinksEveryMemberAndKeepsDepthwiseGroupsConsistent()
    {
        var (builder, output) = CouplingGraphs.Depthwise();
        var graph = builder.Graph(output);
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var pruned = OnnxGraph.FromModel(Surgery.Prune(graph, groups, new Dictionary<int, IReadOnlySet<int>> { [0] = new HashSet<int> { 1, 2 } }));
        Assert.Equal([2, 1, 1, 1], OnnxTensors.Dims(pruned.Initializers["expand.weight"]));
        Assert.Equal([2, 1, 3, 3], OnnxTensors.Dims(pruned.Initializers["dw.weight"]));
        Assert.Equal([3, 2, 1, 1], OnnxTensors.Dims(pruned.Initializers["project.weight"]));
        Assert.Equal(2, pruned.Nodes.Single(n => n.Name == "dw").IntAttribute("group", 1));
        Assert.Equal(2, ChannelGroupAnalysis.Find(pruned).Groups.Single().Channels);
    }

    [Fact]
    public void NewValuesReplaceTheOriginalsBeforeSlicing()
    {
        var (builder, output) = CouplingGraphs.Mlp();
        var graph = builder.Graph(output);
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var tuned = Enumerable.Range(0, 6 * 12).Select(i => (float)i).ToArray();
        var pruned = OnnxGraph.FromModel(Surgery.Prune(graph, groups, new Dictionary<int, IReadOnlySet<int>> { [0] = new HashSet<int> { 0 } },
            new Dictionary<string, float[]> { ["fc1.weight"] = tuned }));
        Assert.Equal(tuned.Skip(12), OnnxTensors.ToFloats(pruned.Initializers["fc1.weight"]));
    }

    [Fact]
    public void RemovingEveryChannelOfAGroupIsRefused()
    {
        var (builder, output) = CouplingGraphs.Concat();
        var graph = builder.Graph(output);
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        Assert.Throws<InvalidOperationException>(() =>
            Surgery.Prune(graph, groups, new Dictionary<int, IReadOnlySet<int>> { [0] = new HashSet<int> { 0, 1 } }));
    }

    /// <summary>Removes about a third of every group's channels (never all), then compares in ONNX Runtime.</summary>
    private static void AssertPrunedMatchesMasked(OnnxGraph graph, long[] inputShape)
    {
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        Assert.NotEmpty(groups);
        var removed = groups.ToDictionary(g => g.Id, g => (IReadOnlySet<int>)Enumerable.Range(0, g.Channels).Where(c => c % 3 == 1).ToHashSet());
        var pruned = Surgery.PruneToBytes(graph, groups, removed);
        var masked = Surgery.Mask(graph, groups, removed).ToByteArray();

        OnnxRuntimeRunner.AssertClose(OnnxRuntimeRunner.Run(masked, inputShape), OnnxRuntimeRunner.Run(pruned, inputShape), 1e-4f);
        var kept = groups.ToDictionary(g => g.Id, g => g.Channels - removed[g.Id].Count);
        var predicted = CostModel.Measure(graph, groups, kept);
        var actual = CostModel.Measure(OnnxGraph.Parse(pruned), [], null);
        Assert.Equal((predicted.Params, predicted.Flops), (actual.Params, actual.Flops));
        Assert.True(pruned.Length < graph.Model.ToByteArray().Length);
    }
}
