using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Methods;
using static TorchSharp.torch;

namespace Shears.Worker.Tests;

/// <summary>Putting back what a target still has room for, after a whole block took a network far below it.</summary>
public class TargetFillTests
{
    [Fact]
    public void Put_back_fills_the_target_with_the_most_valuable_channels_and_leaves_valueless_ones_out()
    {
        var graph = OnnxGraph.Parse(Fixtures.Network("small_resnet"));
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var options = new PruningOptions { BatchSize = 50, ValidationFraction = 0.25, ChannelMultiple = 16, MinWidth = 0 };
        using var module = new GraphModule(graph, CPU);
        using var data = new TrainingData(Fixtures.Train2k(200), graph.Inputs, options, CPU);
        using var session = new PruningSession(graph, groups, module, data, new PruningTarget(0.5, null), options, new RecordingProgress(), CancellationToken.None);
        var trunk = groups.Single(g => g.Channels == 8 && g.Name.Contains("stem", StringComparison.Ordinal));
        var wide = groups.Where(g => g.Channels == 32).ToList();
        // Every 32-wide group down to one block and the trunk to two channels: far below half the FLOPs.
        foreach (var group in wide)
            for (var channel = 16; channel < 32; channel++)
                session.Remove(group.Id, channel);
        for (var channel = 2; channel < 8; channel++)
            session.Remove(trunk.Id, channel);
        var before = session.Cost.FlopsFraction;
        // The trunk's channel 7 is worth nothing; the others are worth their index.
        var value = groups.Select(g => Enumerable.Range(0, g.Channels).Select(k => g.Id == trunk.Id && k == 7 ? 0.0 : k + 1.0).ToArray()).ToArray();

        var back = TargetFill.PutBack(session, value);

        Assert.True(before < 0.45, $"{before:P1}");
        Assert.True(back > 0);
        Assert.True(session.Cost.TargetReached, $"{session.Cost.FlopsFraction:P1}");
        Assert.False(session.Masks.Kept[trunk.Id][7]);
        // Nothing of value that fits is left out: no group's next width up, from its removed channels of value, meets the target.
        Assert.All(groups, g =>
        {
            var kept = session.Cost.KeptChannels[g.Id];
            var up = session.Cost.AllowedWidthAtLeast(g.Id, kept + 1) - kept;
            var valuable = Enumerable.Range(0, g.Channels).Count(k => !session.Masks.Kept[g.Id][k] && value[g.Id][k] > 0);
            Assert.True(up == 0 || valuable < up || !session.Cost.StillReachedWithBack(g.Id, up), $"{g.Name} could take {up} more at {session.Cost.FlopsFraction:P1}");
        });
        // The trunk's channels came back from the most valuable down (6 before 5 ...).
        var trunkBack = Enumerable.Range(2, 5).Where(k => session.Masks.Kept[trunk.Id][k]).ToList();
        Assert.Equal(Enumerable.Range(7 - trunkBack.Count, trunkBack.Count), trunkBack);
    }
}
