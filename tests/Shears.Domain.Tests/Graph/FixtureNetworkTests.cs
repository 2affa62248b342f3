using Shears.Domain.Graph;
using Shears.Domain.Tests.Onnx;

namespace Shears.Domain.Tests.Graph;

public class FixtureNetworkTests
{
    [Fact]
    public void TinyCnnShapesResolveTheViewFlatten()
    {
        var graph = Fixtures.Graph("tiny_cnn.onnx");
        Assert.Equal([-1, 200], graph.Shapes["/Reshape_output_0"]);
        Assert.Equal([-1, 8, 5, 5], graph.Shapes["/MaxPool_1_output_0"]);
        Assert.Equal([-1, 10], graph.Shapes[graph.Outputs[0].Name]);
    }

    [Fact]
    public void TinyCnnCostMatchesHandCount()
    {
        var graph = Fixtures.Graph("tiny_cnn.onnx");
        var cost = CostModel.Measure(graph, [], null);
        Assert.Equal(Fixtures.Params("tiny_cnn"), cost.Params);
        // conv1: 4·1·3·3 weights at 26·26 positions; conv2: 8·4·3·3 at 11·11; fc1: 32·200; fc2: 10·32; FLOPs = 2·MACs.
        Assert.Equal(2L * ((36 * 26 * 26) + (288 * 11 * 11) + 6400 + 320), cost.Flops);
    }

    [Fact]
    public void TinyCnnGroupsFollowConvBnReluPoolAndFlattenBlocks()
    {
        var graph = Fixtures.Graph("tiny_cnn.onnx");
        var analysis = ChannelGroupAnalysis.Find(graph);
        Assert.Equal(["/conv1/Conv", "/conv2/Conv", "/fc1/Gemm"], analysis.Groups.Select(g => g.Name));
        Assert.Equal([4, 8, 32], analysis.Groups.Select(g => g.Channels));

        var conv1 = analysis.Groups[0].Members;
        Assert.Contains(new ParameterSlice("conv1.weight", 0, 0, 1, SliceRole.Producer), conv1);
        Assert.Contains(new ParameterSlice("bn1.running_var", 0, 0, 1, SliceRole.PassThrough), conv1);
        Assert.Contains(new ParameterSlice("conv2.weight", 1, 0, 1, SliceRole.Consumer), conv1);
        Assert.Equal(7, conv1.Count);

        var conv2 = analysis.Groups[1];
        Assert.Contains(new ParameterSlice("fc1.weight", 1, 0, 25, SliceRole.Consumer), conv2.Members);
        Assert.Equal([new GateSite("/MaxPool_1_output_0", 1, 0, "/Reshape_output_0")], conv2.GateSites);

        Assert.Contains(analysis.Held, h => h.Tensor == "logits");
        Assert.Contains(analysis.Held, h => h.Tensor == "input");
    }

    [Fact]
    public void CostOfAPruningStateShrinksEveryMember()
    {
        var graph = Fixtures.Graph("tiny_cnn.onnx");
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var cost = CostModel.Measure(graph, groups, new Dictionary<int, int> { [1] = 5 });
        var alone = CostModel.Measure(graph, [groups[1]], new Dictionary<int, int> { [1] = 5 });
        Assert.Equal((cost.Params, cost.Flops), (alone.Params, alone.Flops));
        Assert.Equal(cost.NodeFlops, alone.NodeFlops);
        // conv2 keeps 5 of 8 filters: conv2 weight/bias and fc1's 25-wide column blocks shrink.
        Assert.Equal(Fixtures.Params("tiny_cnn") - (3 * 36) - 3 - (3 * 25 * 32), cost.Params);
        Assert.Equal(2L * ((36 * 26 * 26) + (5 * 36 * 11 * 11) + (32 * 125) + 320), cost.Flops);
    }

    [Fact]
    public void TinyMlpCountsMatchPyTorch()
    {
        var graph = Fixtures.Graph("tiny_mlp.onnx");
        var cost = CostModel.Measure(graph, [], null);
        Assert.Equal(Fixtures.Params("tiny_mlp"), cost.Params);
        var analysis = ChannelGroupAnalysis.Find(graph);
        Assert.All(analysis.Groups, g => Assert.Contains(g.Members, m => m.Role == SliceRole.Consumer));
        Assert.Equal(graph.Nodes.Count(n => n.OpType == "Gemm") - 1, analysis.Groups.Count);
    }
}
