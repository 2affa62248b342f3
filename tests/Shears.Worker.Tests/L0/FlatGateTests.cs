using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Methods.L0;
using static TorchSharp.torch;

namespace Shears.Worker.Tests.L0;

/// <summary>The one-tensor paths an L0 step takes agree with the per-group paths they replace.</summary>
public class FlatGateTests
{
    [Theory]
    [InlineData("tiny_cnn")]
    [InlineData("small_densenet")]
    [InlineData("small_resnet")]
    public void Laying_all_gates_from_one_flat_tensor_equals_setting_each_group(string network)
    {
        var graph = OnnxGraph.Parse(Fixtures.Network(network));
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        using var module = new GraphModule(graph, CPU);
        module.eval();
        using var gates = new ChannelGates(module, groups);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var flat = rand(gates.TotalChannels, generator: new Generator(11));
        var x = rand([4, .. graph.Inputs[0].Shape.Skip(1).Select(d => d < 0 ? 1 : d)]);

        foreach (var group in groups)
            gates.Set(group.Id, flat.narrow(0, gates.FlatOffset(group.Id), group.Channels).clone());
        var perGroup = module.forward(x).clone();
        gates.SetAll(flat);
        var together = module.forward(x);

        Assert.True((perGroup - together).abs().max().item<float>() < 1e-6f);
    }

    [Theory]
    [InlineData("tiny_cnn", true)]
    [InlineData("small_resnet", false)]
    public void Expected_cost_on_the_device_equals_the_cost_model_at_whole_channel_removals(string network, bool flopsTarget)
    {
        var graph = OnnxGraph.Parse(Fixtures.Network(network));
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var cost = new CostTracker(graph, groups, flopsTarget ? new PruningTarget(0.5, null) : new PruningTarget(null, 0.5));
        using var expected = ExpectedCost.Fit(groups, cost.TargetCostOf);
        var random = new Random(3);
        for (var trial = 0; trial < 5; trial++)
        {
            var removed = groups.Select(g => random.Next(g.Channels)).ToArray();
            var exact = cost.TargetCostOf(groups.ToDictionary(g => g.Id, g => g.Channels - removed[g.Id])) / expected.Full;
            using var scope = NewDisposeScope();
            var onDevice = expected.FractionAt(tensor(removed.Select(r => (float)r).ToArray())).item<float>();
            Assert.Equal(exact, onDevice, 4);
            Assert.Equal(exact, expected.At([.. removed.Select(r => (double)r)]) / expected.Full, 9);
        }
    }
}
