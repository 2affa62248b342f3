using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Methods.L0;
using Shears.Worker.Engine.Training;
using static TorchSharp.torch;

namespace Shears.Worker.Tests.L0;

/// <summary>L0 on real networks with real training on a Fashion-MNIST subset.</summary>
public class L0PruningTests
{
    [Fact]
    public void Folding_fractional_gates_computes_what_the_gated_network_did()
    {
        using var fixture = new RandomGates("tiny_cnn", seed: 5);
        var (module, data, session, gates) = (fixture.Module, fixture.Data, fixture.Session, fixture.Gates);
        var testTime = gates.TestTimeGates();
        Assert.Contains(testTime.SelectMany(z => z), z => z == 0f);
        Assert.Contains(testTime.SelectMany(z => z), z => z is > 0f and < 1f);

        module.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = data.ValidationBatch((0, 32)).Inputs[0];
        gates.ApplyTestTimeGates(keep: true);
        var gated = module.forward(x).clone();

        L0Pruning.RemoveClosedChannels(session, gates);
        var folded = module.forward(x);

        Assert.True(session.Masks.RemovedChannels().Sum(r => r.Count) > 0);
        Assert.True((gated - folded).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void On_a_residual_trunk_the_shrunk_network_in_onnx_runtime_computes_what_the_settled_gates_compute()
    {
        using var fixture = new RandomGates("small_resnet", seed: 9);
        var (graph, groups, module, data, session, gates) = (fixture.Graph, fixture.Groups, fixture.Module, fixture.Data, fixture.Session, fixture.Gates);
        // The trunks: read by the first conv of every block and by the skip Adds, whose sums the next block reads again.
        var trunks = groups.Where(g => g.GateSites.Count >= 2).ToList();
        Assert.NotEmpty(trunks);
        var testTime = gates.TestTimeGates();
        Assert.All(groups, g => Assert.Contains(testTime[g.Id], z => z is > 0f and < 1f));

        var settled = L0Pruning.RemoveClosedChannels(session, gates);
        var removed = session.Masks.RemovedChannels();
        Assert.Contains(trunks, g => removed[g.Id].Count > 0);
        Assert.All(trunks, g => Assert.Contains(settled[g.Id], z => z is > 0f and < 1f)); // folded into every block's weights
        var shrunk = Surgery.PruneToBytes(graph, groups, groups.ToDictionary(g => g.Id, g => (IReadOnlySet<int>)removed[g.Id].ToHashSet()),
            module.ExportInitializers());

        // The reference: the original weights with the settled gates on the gate sites, in TorchSharp.
        using var reference = new GraphModule(graph, CPU);
        using var referenceGates = new ChannelGates(reference, groups);
        foreach (var group in groups)
            referenceGates.Set(group.Id, tensor(settled[group.Id]));
        var input = data.ValidationFloats(16, out var shape);
        var worst = Parity.MaxDifference(shrunk, reference, input, shape);
        Assert.True(worst < 1e-3f, $"shrunk vs gated: {worst}");
    }

    /// <summary>
    /// A group's gates all shut: the expected removals stop at what minWidth lets the group lose, and the penalty no longer
    /// pushes its gates (the final projection would keep the group at that width and take the cost elsewhere), while a
    /// group with open gates still feels it.
    /// </summary>
    [Fact]
    public void The_penalty_counts_no_removals_below_a_groups_narrowest_allowed_width()
    {
        using var fixture = new RandomGates("tiny_cnn", seed: 5);
        var (groups, session, gates) = (fixture.Groups, fixture.Session, fixture.Gates);
        var shut = groups.MaxBy(g => g.Channels)!;
        var open = groups.First(g => g.Id != shut.Id);
        gates.SetLogAlpha(shut.Id, [.. Enumerable.Repeat(-4f, shut.Channels)]);
        gates.SetLogAlpha(open.Id, [.. Enumerable.Repeat(1f, open.Channels)]);

        using var scope = NewDisposeScope();
        var expected = gates.ExpectedRemoved();
        expected.sum().backward();
        var gradient = gates.LogAlphas.Single().grad!;

        var narrowest = session.Cost.NarrowestWidth(shut.Id);
        Assert.True(narrowest > 1, $"minWidth 0.25 keeps {narrowest} of {shut.Name}'s {shut.Channels} channels");
        Assert.Equal(shut.Channels - narrowest, expected[shut.Id].item<float>(), 4);
        Assert.Equal(0f, gradient.narrow(0, session.Gates.FlatOffset(shut.Id), shut.Channels).abs().max().item<float>());
        Assert.True(gradient.narrow(0, session.Gates.FlatOffset(open.Id), open.Channels).abs().min().item<float>() > 0);
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("tiny_mlp", null, 0.5)]
    [InlineData("tiny_cnn", 0.5, null)]
    [InlineData("tiny_mlp", 0.3, null)]
    [InlineData("lenet5", 0.5, null)]
    public void L0_lands_within_five_percent_of_the_target_and_keeps_the_network_useful(string network, double? flops, double? parameters)
    {
        random.manual_seed(1);
        var graph = OnnxGraph.Parse(Fixtures.Network(network));
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var options = new PruningOptions { Steps = 400, BatchSize = 50, ValidationFraction = 0.25 };
        using var module = new GraphModule(graph, CPU);
        using var data = new TrainingData(Fixtures.Train2k(), graph.Inputs, options, CPU);
        var progress = new RecordingProgress();
        var target = new PruningTarget(flops, parameters);
        using var session = new PruningSession(graph, groups, module, data, target, options, progress, CancellationToken.None);
        // On networks this small one channel can be worth more than 5% of the target; allow one channel's cost.
        var oneChannel = groups.Max(g => -session.Cost.CostChangeOfRemoving(g.Id));

        L0Pruning.Run(session);

        var reached = flops is not null ? session.Cost.FlopsFraction : session.Cost.ParamsFraction;
        var wanted = (flops ?? parameters)!.Value;
        Assert.InRange(reached, Math.Min(wanted * 0.95, wanted - oneChannel), wanted);
        var accuracy = Evaluation.Accuracy(module, data);
        Assert.True(accuracy > 0.6, $"accuracy {accuracy:P1}; {string.Join(" | ", progress.Logs)} | {string.Join(" | ", progress.Updates.Select(u => u.Message))}");
        Assert.Contains(progress.Updates, u => u.Message?.Contains("expected cost") == true);
        Assert.Contains(progress.Logs, l => l.Contains("gates closed"));
    }
}
