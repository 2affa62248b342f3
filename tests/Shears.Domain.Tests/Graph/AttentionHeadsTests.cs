using Google.Protobuf;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;
using Shears.Domain.Tests.Datasets;
using Shears.Domain.Tests.Onnx;
using Xunit.Abstractions;

namespace Shears.Domain.Tests.Graph;

/// <summary>
/// Issue 15's attention heads: each attention block of the zoo's transformers is one group whose channel is a whole head
/// (Q, K and V projections' head_dim outputs, the output projection's head_dim columns), and surgery that removes half
/// the heads rewrites the head count in the Reshapes and gives a network that computes what the masked one does.
/// </summary>
public class AttentionHeadsTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("vit", 2, 4, 16)]
    public void Each_attention_block_is_a_group_of_whole_heads(string network, int blocks, int heads, int headDim)
    {
        var graph = Network(network);
        var groups = HeadGroups(graph);
        output.WriteLine(string.Join("\n", groups.Select(g => $"{g.Name}: {g.Channels} × {g.UnitWidth}: {string.Join(", ", g.Members.Select(m => $"{m.Initializer} axis {m.Axis} at {m.Offset} ({m.Role})"))}")));
        Assert.Equal(blocks, groups.Count);
        Assert.All(groups, g => Assert.Equal((heads, headDim), (g.Channels, g.UnitWidth)));
        // Q, K and V produce the heads (three weights, or three slices of one fused weight); one projection reads them.
        Assert.All(groups, g => Assert.Equal(3, g.Members.Count(m => m.Role == SliceRole.Producer && graph.Initializers[m.Initializer].Dims.Count == 2)));
        Assert.All(groups, g => Assert.Single(g.Members, m => m.Role == SliceRole.Consumer));
        Assert.All(groups, g => Assert.Equal(headDim, Assert.Single(g.GateSites).Block));
    }

    [Theory]
    [InlineData("vit")]
    public void Removing_half_the_heads_computes_what_the_masked_network_computes(string network)
    {
        var graph = Network(network);
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var heads = HeadGroups(graph);
        var removed = heads.ToDictionary(g => g.Id, g => (IReadOnlySet<int>)Enumerable.Range(0, g.Channels).Where(h => h % 2 == 1).ToHashSet());

        var pruned = Surgery.PruneToBytes(graph, groups, removed);
        var inputShape = (long[])[3, .. graph.Inputs[0].Shape.Skip(1)];
        OnnxRuntimeRunner.AssertRelativelyClose(
            OnnxRuntimeRunner.Run(Surgery.Mask(graph, groups, removed).ToByteArray(), inputShape),
            OnnxRuntimeRunner.Run(pruned, inputShape), 1e-4f);

        var shrunk = OnnxGraph.Parse(pruned);
        Assert.Equal(heads.Select(g => g.Channels / 2), HeadGroups(shrunk).Select(g => g.Channels));
        var predicted = CostModel.Measure(graph, groups, removed.ToDictionary(r => r.Key, r => groups[r.Key].Channels - r.Value.Count));
        var measured = CostModel.Measure(shrunk, [], null);
        Assert.Equal((predicted.Params, predicted.Flops), (measured.Params, measured.Flops));
        output.WriteLine($"{network}: FLOPs {CostModel.Measure(graph, [], null).Flops} → {measured.Flops}, params → {measured.Params}");
    }

    private static OnnxGraph Network(string name) => OnnxGraph.Parse(File.ReadAllBytes(DatasetFiles.Fixture($"zoo/{name}.onnx")));

    private static List<ChannelGroup> HeadGroups(OnnxGraph graph) =>
        [.. ChannelGroupAnalysis.Find(graph).Groups.Where(g => ChannelGroupKinds.Of(graph, g) == ChannelGroupKind.Heads)];
}
