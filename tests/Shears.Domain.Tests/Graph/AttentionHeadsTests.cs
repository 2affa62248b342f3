using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;
using Shears.Domain.Tests.Datasets;
using Shears.Domain.Tests.Onnx;
using Xunit.Abstractions;

namespace Shears.Domain.Tests.Graph;

/// <summary>
/// Issue 15's attention heads: each attention block of the zoo's transformers is one group whose channel is a whole head
/// (Q, K and V projections' head_dim outputs, the output projection's head_dim columns), and surgery that removes half
/// the heads rewrites the head count in the Reshapes and gives a network that computes what the masked one does, at the
/// cost the cost model predicted, for any sequence length.
/// </summary>
public class AttentionHeadsTests(ITestOutputHelper output)
{
    /// <summary>vit: fused in_proj cut by Slice, heads folded into the batch; bert: separate Q/K/V Linears and MatMuls; sentence_encoder: a fused projection reshaped to [N, T, 3, heads, d], Split, and Einsum.</summary>
    [Theory]
    [InlineData("vit", 2, 4, 16)]
    [InlineData("bert", 2, 4, 8)]
    [InlineData("sentence_encoder", 2, 4, 8)]
    public void Each_attention_block_is_a_group_of_whole_heads(string network, int blocks, int heads, int headDim)
    {
        var graph = Pinned(network);
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
    [InlineData("bert")]
    [InlineData("sentence_encoder")]
    [InlineData("gpt2")]
    [InlineData("t5_encoder")]
    [InlineData("swin")]
    public void Removing_half_the_heads_computes_what_the_masked_network_computes(string network)
    {
        var graph = Pinned(network);
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var heads = HeadGroups(graph);
        Assert.NotEmpty(heads);
        var removed = heads.ToDictionary(g => g.Id, g => (IReadOnlySet<int>)Enumerable.Range(0, g.Channels).Where(h => h % 2 == 1).ToHashSet());

        var pruned = Restored(Surgery.Prune(graph, groups, removed), network);
        var masked = Restored(Surgery.Mask(graph, groups, removed), network);
        var feeds = NpzFeeds.FirstRows(DatasetFiles.Fixture($"zoo/{network}.npz"), 3);
        OnnxRuntimeRunner.AssertRelativelyClose(OnnxRuntimeRunner.Run(masked, feeds), OnnxRuntimeRunner.Run(pruned, feeds), 1e-4f);
        if (feeds.All(f => f.Value is DenseTensor<long>))
        {
            // The head Reshapes copy the sequence length instead of baking in the one the graph was pinned to.
            var shorter = feeds.Select(f => Prefix(f, 5)).ToList();
            OnnxRuntimeRunner.AssertRelativelyClose(OnnxRuntimeRunner.Run(masked, shorter), OnnxRuntimeRunner.Run(pruned, shorter), 1e-4f);
        }

        var shrunk = Pinned(OnnxGraph.Parse(pruned), network);
        Assert.Equal(heads.Select(g => g.Channels / 2), HeadGroups(shrunk).Select(g => g.Channels));
        var predicted = CostModel.Measure(graph, groups, removed.ToDictionary(r => r.Key, r => groups[r.Key].Channels - r.Value.Count));
        var measured = CostModel.Measure(shrunk, [], null);
        Assert.Equal((predicted.Params, predicted.Flops), (measured.Params, measured.Flops));
        output.WriteLine($"{network}: FLOPs {CostModel.Measure(graph, [], null).Flops} → {measured.Flops}, params → {measured.Params}");
    }

    private static OnnxGraph Pinned(string network) => Pinned(OnnxGraph.Parse(File.ReadAllBytes(DatasetFiles.Fixture($"zoo/{network}.onnx"))), network);

    /// <summary>The graph with a dynamic sequence length pinned to the dataset's, as a job pins it.</summary>
    private static OnnxGraph Pinned(OnnxGraph graph, string network)
    {
        var feeds = NpzFeeds.FirstRows(DatasetFiles.Fixture($"zoo/{network}.npz"), 1);
        return SampleDimensions.Pin(graph, name => feeds.FirstOrDefault(f => f.Name == name)?.AsTensor<long>()?.Dimensions[1..].ToArray()
            ?? feeds.FirstOrDefault(f => f.Name == name)?.AsTensor<float>().Dimensions[1..].ToArray());
    }

    private static byte[] Restored(global::Onnx.ModelProto model, string network)
    {
        SampleDimensions.Restore(model, OnnxGraph.Parse(File.ReadAllBytes(DatasetFiles.Fixture($"zoo/{network}.onnx"))).Model);
        return model.ToByteArray();
    }

    private static NamedOnnxValue Prefix(NamedOnnxValue feed, int length)
    {
        var tensor = feed.AsTensor<long>();
        var rows = tensor.Dimensions[0];
        var values = Enumerable.Range(0, rows).SelectMany(r => Enumerable.Range(0, length).Select(c => tensor[r, c])).ToArray();
        return NamedOnnxValue.CreateFromTensor(feed.Name, new DenseTensor<long>(values, [rows, length]));
    }

    private static List<ChannelGroup> HeadGroups(OnnxGraph graph) =>
        [.. ChannelGroupAnalysis.Find(graph).Groups.Where(g => ChannelGroupKinds.Of(graph, g) == ChannelGroupKind.Heads)];
}
