using Shears.Domain.Graph;
using Shears.Domain.Onnx;
using Shears.Domain.Tests.Datasets;
using Xunit.Abstractions;

namespace Shears.Domain.Tests.Graph;

/// <summary>
/// Zoo networks whose operators and coupling Shears follows (detectors, segmenters and the CNNs that need
/// Split, Resize, LayerNormalization or reductions): they inspect with no unsupported operator, and removing
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
