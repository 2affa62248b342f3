using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Engine;

namespace Shears.Worker.Tests;

/// <summary>Fisher's <c>cost: traffic</c>, FLOPs plus activation traffic, and what it changes in the networks a job returns.</summary>
public class TrafficCostTests
{
    private static readonly string[] HighResolution = ["/stem/Conv+/blocks/blocks.0/conv2/Conv", "/blocks/blocks.0/conv1/Conv"];

    /// <summary>
    /// A channel of the small ResNet's 28×28 layers moves far more elements per FLOP than one of its 7×7 layers, so against
    /// a 7×7 channel it is worth more under the traffic cost than under FLOPs alone.
    /// </summary>
    [Fact]
    public void A_high_resolution_channel_saves_more_against_a_low_resolution_one_by_traffic_than_by_flops()
    {
        var graph = OnnxGraph.Parse(Fixtures.Network("small_resnet"));
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var high = groups.Single(g => g.Name == "/blocks/blocks.0/conv1/Conv").Id;
        var low = groups.Single(g => g.Name == "/blocks/blocks.2/conv1/Conv").Id;
        var byFlops = new CostTracker(graph, groups, new PruningTarget(0.5, null));
        var byTraffic = new CostTracker(graph, groups, new PruningTarget(0.5, null));
        byTraffic.RankByTraffic();

        var flopsRatio = byFlops.CostChangeOfRemoving(high) / byFlops.CostChangeOfRemoving(low);
        var trafficRatio = byTraffic.CostChangeOfRemoving(high) / byTraffic.CostChangeOfRemoving(low);

        Assert.True(trafficRatio > 1.2 * flopsRatio, $"by FLOPs {flopsRatio:F2}, by traffic {trafficRatio:F2}");
    }

    /// <summary>A params target keeps ranking by parameters whatever the cost option says.</summary>
    [Fact]
    public void A_params_target_ranks_by_parameters()
    {
        var graph = OnnxGraph.Parse(Fixtures.Network("small_resnet"));
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var plain = new CostTracker(graph, groups, new PruningTarget(null, 0.5));
        var traffic = new CostTracker(graph, groups, new PruningTarget(null, 0.5));
        traffic.RankByTraffic();

        Assert.All(groups, g => Assert.Equal(plain.CostChangeOfRemoving(g.Id), traffic.CostChangeOfRemoving(g.Id)));
    }

    /// <summary>
    /// Real training on the 2k subset: Fisher with <c>cost: traffic</c> and with the default <c>cost: target</c> take the
    /// small ResNet to half its FLOPs; the traffic ranking keeps fewer channels in the two 28×28 groups and its network moves
    /// fewer activation elements, at the same FLOPs target.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void Fisher_by_traffic_cuts_the_high_resolution_layers_more_than_the_flops_ranking()
    {
        // Any width: by default both rankings end at whole CPU blocks, which leave them the same few choices.
        var byTraffic = Job(new PruningOptions { Steps = 20, Cost = "traffic", ChannelMultiple = 1 });
        var byFlops = Job(new PruningOptions { Steps = 20, ChannelMultiple = 1 });

        int HighResolutionWidth(PruneOutcome o) => o.Layers.Where(l => HighResolution.Contains(l.Name)).Sum(l => l.ChannelsAfter);
        Assert.Equal("target", new PruningOptions().Cost);
        Assert.True(byTraffic.After.Flops <= 0.5 * byTraffic.Before.Flops && byFlops.After.Flops <= 0.5 * byFlops.Before.Flops);
        Assert.True(HighResolutionWidth(byTraffic) < HighResolutionWidth(byFlops),
            $"28×28 widths: by traffic {string.Join("-", byTraffic.Layers.Select(l => l.ChannelsAfter))}, by FLOPs {string.Join("-", byFlops.Layers.Select(l => l.ChannelsAfter))}");
        Assert.True(Traffic(byTraffic) < Traffic(byFlops), $"traffic {Traffic(byTraffic)} against {Traffic(byFlops)}");
    }

    private static PruneOutcome Job(PruningOptions options) =>
        new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1)).Run(
            new PruneRequest(Fixtures.Network("small_resnet"), Fixtures.Train2k(), PruningMethod.Fisher, new PruningTarget(0.5, null), options),
            new RecordingProgress(), CancellationToken.None);

    private static long Traffic(PruneOutcome outcome)
    {
        var graph = OnnxGraph.Parse(outcome.PrunedOnnx);
        return CostModel.Measure(graph, [], null).Traffic;
    }
}
