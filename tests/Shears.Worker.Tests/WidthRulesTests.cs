using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Methods;
using Shears.Worker.Engine.Training;

namespace Shears.Worker.Tests;

/// <summary>The widths a group may take (<c>minWidth</c>, <c>channelMultiple</c>) as the cost tracker allows them and as Fisher reaches them.</summary>
public class WidthRulesTests
{
    private static readonly OnnxGraph SmallResNet = OnnxGraph.Parse(Fixtures.Network("small_resnet"));
    private static readonly IReadOnlyList<ChannelGroup> Groups = ChannelGroupAnalysis.Find(SmallResNet).Groups;

    [Fact]
    public void Min_width_keeps_that_share_of_every_group()
    {
        var cost = new CostTracker(SmallResNet, Groups, new PruningTarget(0.5, null), minWidth: 0.5);
        var trunk = Groups.Single(g => g.Channels == 8 && g.Name.Contains("stem", StringComparison.Ordinal));

        var widths = ShrinkUntilStuck(cost, trunk.Id);

        Assert.Equal([8, 7, 6, 5, 4], widths);
        Assert.Throws<InvalidOperationException>(() => cost.Removed(trunk.Id));
    }

    [Fact]
    public void A_channel_multiple_lets_a_wide_group_lose_a_whole_block_and_a_narrow_one_a_channel()
    {
        var cost = new CostTracker(SmallResNet, Groups, new PruningTarget(0.5, null), channelMultiple: _ => 3);
        var trunk = Groups.Single(g => g.Channels == 8 && g.Name.Contains("stem", StringComparison.Ordinal));

        // 8 is no multiple of 3: the widest allowed width below it is 6; below 3 every width is allowed.
        Assert.Equal([8, 6, 3, 2, 1], ShrinkUntilStuck(cost, trunk.Id));
    }

    [Fact]
    public void The_cost_of_a_block_is_the_cost_of_its_channels()
    {
        var cost = new CostTracker(SmallResNet, Groups, new PruningTarget(0.5, null), channelMultiple: _ => 16);
        var wide = Groups.First(g => g.Channels == 32);

        Assert.Equal(16, cost.ChannelsToShrink(wide.Id));
        var expected = (double)(cost.TargetCostOf(Groups.ToDictionary(g => g.Id, g => g.Id == wide.Id ? 16 : g.Channels)) - cost.Original.Flops) / cost.Original.Flops;
        Assert.Equal(expected, cost.CostChangeOfRemoving(wide.Id, 16), 12);
    }

    [Fact]
    public void A_target_the_width_rules_put_out_of_reach_is_refused_up_front_naming_them()
    {
        var cost = new CostTracker(SmallResNet, Groups, new PruningTarget(0.2, null), minWidth: 0.5);
        var error = Assert.Throws<PruningFailedException>(cost.EnsureReachable);
        Assert.Contains("minWidth", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Fisher_ends_with_every_width_allowed_and_the_shrunk_network_agrees_with_the_masked_one()
    {
        var options = new PruningOptions { Steps = 20, StepsPerPrune = 2, BatchSize = 50, ValidationFraction = 0.2, MinWidth = 0.5, ChannelMultiple = 16, Schedule = "cosine" };
        var request = new PruneRequest(Fixtures.Network("small_resnet"), Fixtures.Train2k(600), PruningMethod.Fisher, new PruningTarget(0.4, null), options);

        // The engine itself checks ONNX Runtime on the shrunk network against the masked TorchSharp network.
        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1)).Run(request, new RecordingProgress(), CancellationToken.None);

        Assert.True(outcome.After.Flops <= 0.4 * outcome.Before.Flops, $"FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        Assert.All(outcome.Layers, l =>
        {
            Assert.True(l.ChannelsAfter * 2 >= l.ChannelsBefore, $"{l.Name}: {l.ChannelsBefore} → {l.ChannelsAfter}");
            Assert.True(l.ChannelsAfter < 16 || l.ChannelsAfter % 16 == 0, $"{l.Name}: {l.ChannelsAfter} channels");
        });
        // Without a 32-wide group cut to 16, every group at its floor still has 42.5% of the FLOPs.
        Assert.Contains(outcome.Layers, l => l.ChannelsBefore == 32 && l.ChannelsAfter == 16);
    }

    [Theory]
    [InlineData(PruningMethod.Magnitude)]
    [InlineData(PruningMethod.L0)]
    public void Magnitude_and_l0_keep_min_width_too(PruningMethod method)
    {
        var options = new PruningOptions { Steps = method == PruningMethod.L0 ? 60 : 4, BatchSize = 50, ValidationFraction = 0.2, MinWidth = 0.5 };
        // 30% of the FLOPs: with every group at half its width the network still has 25.5%, so the floor binds.
        var request = new PruneRequest(Fixtures.Network("small_resnet"), Fixtures.Train2k(600), method, new PruningTarget(0.3, null), options);

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1)).Run(request, new RecordingProgress(), CancellationToken.None);

        Assert.True(outcome.After.Flops <= 0.3 * outcome.Before.Flops, $"FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        Assert.All(outcome.Layers, l => Assert.True(l.ChannelsAfter * 2 >= l.ChannelsBefore, $"{l.Name}: {l.ChannelsBefore} → {l.ChannelsAfter}"));
    }

    /// <summary>
    /// Without <c>minWidth</c> or <c>channelMultiple</c> every method keeps a quarter of each group and convolution widths on
    /// the worker's channel block (below it or a multiple of it); before, magnitude and l0 removed channels one at a time.
    /// </summary>
    [Theory]
    [InlineData(PruningMethod.Magnitude)]
    [InlineData(PruningMethod.L0)]
    [InlineData(PruningMethod.Fisher)]
    public void By_default_every_method_keeps_a_quarter_of_each_group_and_convolution_widths_on_the_cpu_block(PruningMethod method)
    {
        var options = new PruningOptions { Steps = method == PruningMethod.L0 ? 60 : 4, BatchSize = 50, ValidationFraction = 0.2 };
        var request = new PruneRequest(Fixtures.Network("small_resnet"), Fixtures.Train2k(600), method, new PruningTarget(0.4, null), options);

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1)).Run(request, new RecordingProgress(), CancellationToken.None);

        var block = ChannelMultiples.CpuConvolutionBlock;
        Assert.True(outcome.After.Flops <= 0.4 * outcome.Before.Flops, $"FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        Assert.All(outcome.Layers, l =>
        {
            Assert.True(l.ChannelsAfter * 4 >= l.ChannelsBefore, $"{l.Name}: {l.ChannelsBefore} → {l.ChannelsAfter}");
            Assert.True(l.ChannelsAfter < block || l.ChannelsAfter % block == 0, $"{l.Name}: {l.ChannelsBefore} → {l.ChannelsAfter} (block {block})");
        });
    }

    /// <summary>
    /// resnext's grouped convs have groups of 2, 4 and 8 channels, each one channel of its group: by default such a group keeps
    /// a multiple of the conv groups that fill whole CPU blocks (8 channels: 4, 2 and 1 conv groups; 16 with AVX-512: 8, 4, 2).
    /// </summary>
    [Fact]
    public void A_grouped_convs_group_steps_by_the_conv_groups_that_fill_a_cpu_block()
    {
        var graph = OnnxGraph.Parse(Zoo.ZooNetworks.Network("resnext"));
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var multiple = ChannelMultiples.For(graph, asked: null);
        var block = ChannelMultiples.CpuConvolutionBlock;

        var grouped = groups.Where(g => g.UnitWidth > 1).OrderBy(g => g.UnitWidth).ToList();
        Assert.Equal([2, 4, 8], grouped.Select(g => g.UnitWidth));
        Assert.Equal([block / 2, block / 4, block / 8], grouped.Select(multiple));
        Assert.All(groups.Where(g => g.UnitWidth == 1), g => Assert.Equal(block, multiple(g)));
        Assert.All(groups, g => Assert.Equal(3, ChannelMultiples.For(graph, asked: 3)(g)));
    }

    [Fact]
    public void The_cosine_rate_starts_at_the_job_rate_and_falls_towards_zero()
    {
        Assert.Equal(0.003, FineTuningRate.CosineRate(0.003, 1, 100), 12);
        Assert.Equal(0.0015, FineTuningRate.CosineRate(0.003, 51, 100), 12);
        var last = FineTuningRate.CosineRate(0.003, 100, 100);
        Assert.InRange(last, 1e-9, 0.003 * 0.001);
    }

    private static List<int> ShrinkUntilStuck(CostTracker cost, int group)
    {
        var widths = new List<int> { cost.KeptChannels[group] };
        while (cost.ChannelsToShrink(group) is var count and > 0)
        {
            for (var i = 0; i < count; i++)
                cost.Removed(group);
            widths.Add(cost.KeptChannels[group]);
        }
        return widths;
    }
}
