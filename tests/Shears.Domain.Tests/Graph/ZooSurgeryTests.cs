using Shears.Domain.Graph;
using Shears.Domain.Onnx;
using Shears.Domain.Tests.Datasets;
using Xunit.Abstractions;

namespace Shears.Domain.Tests.Graph;

/// <summary>
/// Zoo networks whose operators and coupling Shears follows (detectors, segmenters and the CNNs that need
/// Split, Resize, LayerNormalization, reductions or grouped convolutions): they inspect with no unsupported operator, and removing
/// every other channel of every group gives a smaller network that computes in ONNX Runtime what the masked
/// one computes, at the cost the cost model predicted. Whether a job trains them is ZooPruningTests' business.
/// </summary>
public class ZooSurgeryTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("yolo")]
    [InlineData("unet")]
    [InlineData("lraspp")]
    [InlineData("deeplabv3")]
    [InlineData("convnext")]
    [InlineData("regnet")]
    [InlineData("resnext")]
    [InlineData("shufflenet_v2")]
    [InlineData("norms_activations")]
    [InlineData("vit")]
    [InlineData("audio_gru")]
    public void Pruned_zoo_network_computes_what_the_masked_one_computes(string network)
    {
        var bytes = File.ReadAllBytes(DatasetFiles.Fixture($"zoo/{network}.onnx"));
        var inspection = ModelInspector.Inspect(bytes);
        Assert.Empty(inspection.UnsupportedOps);

        output.WriteLine($"{network}: {inspection.Groups.Count} groups, {inspection.Groups.Sum(g => g.Channels)} channels: {string.Join(", ", inspection.Groups.Select(g => $"{g.Name} ({g.Channels})"))}");
        var graph = OnnxGraph.Parse(bytes);
        var (pruned, predicted) = PruneCheck.AssertPrunedMatchesMasked(graph, [2, .. graph.Inputs[0].Shape.Skip(1)], period: 2, tolerance: 1e-3f);
        var prunedInspection = ModelInspector.Inspect(pruned);
        Assert.Equal((predicted.Params, predicted.Flops), (prunedInspection.Params, prunedInspection.Flops));
    }

    /// <summary>
    /// Every grouped Conv of regnet (8 channels per group) and resnext (4 groups) is in a group whose channel is one conv group,
    /// and removing every other channel of every group leaves each of them fewer groups of the same width.
    /// </summary>
    [Theory]
    [InlineData("regnet")]
    [InlineData("resnext")]
    public void Grouped_convs_lose_whole_groups(string network)
    {
        var graph = OnnxGraph.Parse(File.ReadAllBytes(DatasetFiles.Fixture($"zoo/{network}.onnx")));
        var groupedConvs = graph.Nodes.Where(n => n.OpType == "Conv" && n.IntAttribute("group", 1) > 1).ToList();
        Assert.NotEmpty(groupedConvs);
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        foreach (var conv in groupedConvs)
        {
            var perGroup = (int)OnnxTensors.Dims(graph.Initializers[conv.Input[1]])[1];
            var group = Assert.Single(groups, g => g.Members.Any(m => m.Initializer == conv.Input[1]));
            Assert.Equal(perGroup, group.UnitWidth);
            Assert.Contains(new ParameterSlice(conv.Input[1], 0, 0, perGroup, SliceRole.PassThrough), group.Members);
        }

        var (pruned, _) = PruneCheck.AssertPrunedMatchesMasked(graph, [2, .. graph.Inputs[0].Shape.Skip(1)], period: 2, tolerance: 1e-3f);
        var prunedGraph = OnnxGraph.Parse(pruned);
        foreach (var conv in groupedConvs)
        {
            var after = prunedGraph.Nodes.Single(n => n.Name == conv.Name);
            var (dims, prunedDims) = (OnnxTensors.Dims(graph.Initializers[conv.Input[1]]), OnnxTensors.Dims(prunedGraph.Initializers[after.Input[1]]));
            output.WriteLine($"{conv.Name}: group {conv.IntAttribute("group", 1)} → {after.IntAttribute("group", 1)}, weight [{string.Join(", ", dims)}] → [{string.Join(", ", prunedDims)}]");
            Assert.True(after.IntAttribute("group", 1) < conv.IntAttribute("group", 1));
            Assert.Equal(dims[1..], prunedDims[1..]);
            Assert.Equal(prunedDims[0], after.IntAttribute("group", 1) * dims[1]);
        }
    }

    [Fact]
    public void The_detectors_split_halves_are_groups_of_their_own()
    {
        var groups = ChannelGroupAnalysis.Find(OnnxGraph.Parse(File.ReadAllBytes(DatasetFiles.Fixture("zoo/yolo.onnx")))).Groups;
        var halves = groups.Where(g => g.SplitParts is { Count: > 0 }).ToList();
        Assert.NotEmpty(halves);
        Assert.All(halves, g => Assert.Contains("[", g.Name));
        Assert.Contains(groups, g => g.Name.Contains("stage1.1/conv1", StringComparison.Ordinal) && g.SplitParts!.Any(p => p.Output == 1));
    }
}
