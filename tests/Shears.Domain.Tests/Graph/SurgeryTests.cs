using Google.Protobuf;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;
using Shears.Domain.Tests.Onnx;

namespace Shears.Domain.Tests.Graph;

public class SurgeryTests
{
    public static TheoryData<string> CouplingKinds => ["Mlp", "ConvIntoGemm", "Residual", "Concat", "Depthwise", "Grouped", "SharedWeight", "SqueezeExcitation", "ChannelsLast"];

    [Theory]
    [MemberData(nameof(CouplingKinds))]
    public void PrunedModelComputesWhatTheMaskedModelComputes(string kind)
    {
        var (builder, output) = ((GraphBuilder, string))typeof(CouplingGraphs).GetMethod(kind)!.Invoke(null, null)!;
        var inputShape = kind == "Mlp" ? CouplingGraphs.VectorInput : CouplingGraphs.ImageInput;
        PruneCheck.AssertPrunedMatchesMasked(builder.Graph(output), inputShape, period: 3, tolerance: 1e-4f);
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
        PruneCheck.AssertPrunedMatchesMasked(graph, [3, .. graph.Inputs[0].Shape.Skip(1)], period: 3, tolerance: 1e-4f);
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
    public void PruningRemovesWholeConvGroupsAndKeepsTheChannelsPerGroup()
    {
        var (builder, output) = CouplingGraphs.Grouped();
        var graph = builder.Graph(output);
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var grouped = groups.Single(g => g.Members.Any(m => m.Initializer == "grouped.weight"));
        var pruned = OnnxGraph.FromModel(Surgery.Prune(graph, groups, new Dictionary<int, IReadOnlySet<int>> { [grouped.Id] = new HashSet<int> { 0, 2 } }));

        Assert.Equal([4, 1, 1, 1], OnnxTensors.Dims(pruned.Initializers["expand.weight"]));
        Assert.Equal([4, 2, 3, 3], OnnxTensors.Dims(pruned.Initializers["grouped.weight"]));
        Assert.Equal(2, pruned.Nodes.Single(n => n.Name == "grouped").IntAttribute("group", 1));
        Assert.Equal([2, 4, 1, 1], OnnxTensors.Dims(pruned.Initializers["down.weight"]));
        Assert.Equal([4, 2, 1, 1], OnnxTensors.Dims(pruned.Initializers["up.weight"]));
        Assert.Equal([3, 4, 1, 1], OnnxTensors.Dims(pruned.Initializers["project.weight"]));
        // The kept filters are the original's groups 1 and 3: filters 2, 3, 6 and 7.
        var original = OnnxTensors.ToFloats(graph.Initializers["grouped.weight"]);
        int[] keptFilters = [2, 3, 6, 7];
        Assert.Equal([.. keptFilters.SelectMany(f => original.Skip(f * 18).Take(18))], OnnxTensors.ToFloats(pruned.Initializers["grouped.weight"]));
        var again = ChannelGroupAnalysis.Find(pruned).Groups.Single(g => g.Members.Any(m => m.Initializer == "grouped.weight"));
        Assert.Equal((2, 2), (again.Channels, again.UnitWidth));
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
}
