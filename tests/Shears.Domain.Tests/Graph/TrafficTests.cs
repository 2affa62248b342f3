using Shears.Domain.Graph;
using Shears.Domain.Tests.Onnx;

namespace Shears.Domain.Tests.Graph;

/// <summary>The activation elements each Conv/Gemm reads and writes per example (<see cref="CostMeasurement.Traffic"/>).</summary>
public class TrafficTests
{
    /// <summary>
    /// Traffic: per position each Conv/Gemm reads its im2col row (in-channels × kernel) or input row and writes its outputs;
    /// a removed channel shrinks what its producer writes and what its consumer reads.
    /// </summary>
    [Fact]
    public void TinyCnnTrafficCountsWhatEachLayerReadsAndWrites()
    {
        var graph = Fixtures.Graph("tiny_cnn.onnx");
        var groups = ChannelGroupAnalysis.Find(graph).Groups;

        var full = CostModel.Measure(graph, groups, null);
        var pruned = CostModel.Measure(graph, groups, new Dictionary<int, int> { [1] = 5 });

        // conv1 reads 1·3·3 and writes 4 at 26·26 positions; conv2 reads 4·3·3 and writes 8 at 11·11; fc1 200 → 32; fc2 32 → 10.
        Assert.Equal((676L * (9 + 4)) + (121 * (36 + 8)) + (200 + 32) + (32 + 10), full.Traffic);
        // conv2 keeps 5 of its 8 filters: it writes 5 per position, and fc1 reads 5 blocks of 25.
        Assert.Equal((676L * (9 + 4)) + (121 * (36 + 5)) + (125 + 32) + (32 + 10), pruned.Traffic);
    }

    /// <summary>A depthwise convolution runs on direct kernels: it reads its input once, not an im2col row per position.</summary>
    [Fact]
    public void A_depthwise_convolution_reads_its_input_once()
    {
        var (builder, output) = CouplingGraphs.Depthwise();
        var graph = builder.Graph(output);
        var groups = ChannelGroupAnalysis.Find(graph).Groups;

        // 8·8 positions: expand reads 1 and writes 4, dw reads 4 and writes 4, project reads 4 and writes 3.
        Assert.Equal(64L * (1 + 4 + 4 + 4 + 4 + 3), CostModel.Measure(graph, groups, null).Traffic);
        Assert.Equal(64L * (1 + 2 + 2 + 2 + 2 + 3), CostModel.Measure(graph, groups, new Dictionary<int, int> { [0] = 2 }).Traffic);
    }
}
