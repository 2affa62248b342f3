using Google.Protobuf;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;
using Shears.Domain.Tests.Onnx;

namespace Shears.Domain.Tests.Graph;

/// <summary>The surgery check of docs/design.md, engine step 5: the pruned model computes what the masked model computes.</summary>
internal static class PruneCheck
{
    /// <summary>
    /// Removes every channel c with c % <paramref name="period"/> == 1 from every group, checks the pruned
    /// and masked models agree in ONNX Runtime and that the cost model predicted the pruned model's cost.
    /// </summary>
    public static (byte[] Pruned, CostMeasurement Predicted) AssertPrunedMatchesMasked(OnnxGraph graph, long[] inputShape, int period, float tolerance)
    {
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        Assert.NotEmpty(groups);
        var removed = groups.ToDictionary(g => g.Id, g => (IReadOnlySet<int>)Enumerable.Range(0, g.Channels).Where(c => c % period == 1).ToHashSet());
        var pruned = Surgery.PruneToBytes(graph, groups, removed);
        OnnxRuntimeRunner.AssertClose(
            OnnxRuntimeRunner.Run(Surgery.Mask(graph, groups, removed).ToByteArray(), inputShape),
            OnnxRuntimeRunner.Run(pruned, inputShape), tolerance);

        var predicted = CostModel.Measure(graph, groups, groups.ToDictionary(g => g.Id, g => g.Channels - removed[g.Id].Count));
        var actual = CostModel.Measure(OnnxGraph.Parse(pruned), [], null);
        Assert.Equal((predicted.Params, predicted.Flops), (actual.Params, actual.Flops));
        Assert.True(pruned.Length < graph.Model.ToByteArray().Length);
        return (pruned, predicted);
    }
}
