using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.L0;
using static TorchSharp.torch;

namespace Shears.Worker.Tests.L0;

/// <summary>L0 on real networks with real training on a Fashion-MNIST subset.</summary>
public class L0PruningTests
{
    [Fact]
    public void Folding_fractional_gates_computes_what_the_gated_network_did()
    {
        var graph = OnnxGraph.Parse(Fixtures.Network("tiny_cnn"));
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var options = new PruningOptions { ValidationFraction = 0.5 };
        using var module = new GraphModule(graph, CPU);
        using var data = new TrainingData(Fixtures.Train2k(200), graph.InputShape, options, CPU);
        using var session = new PruningSession(graph, groups, module, data, new PruningTarget(null, null), options, new RecordingProgress(), CancellationToken.None);
        using var gates = new L0Gates(session, new HardConcrete());
        var random = new Random(5);
        foreach (var group in groups)
            gates.SetLogAlpha(group.Id, [.. Enumerable.Range(0, group.Channels).Select(k => k == 0 ? 3f : (float)(random.NextDouble() * 6 - 3))]);
        var testTime = gates.TestTimeGates();
        Assert.Contains(testTime.SelectMany(z => z), z => z == 0f);
        Assert.Contains(testTime.SelectMany(z => z), z => z is > 0f and < 1f);

        module.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (x, _) = data.ValidationBatch((0, 32));
        gates.ApplyTestTimeGates(keep: true);
        var gated = module.forward(x).clone();

        L0Pruning.RemoveClosedChannels(session, gates);
        var folded = module.forward(x);

        Assert.True(session.Masks.RemovedChannels().Sum(r => r.Count) > 0);
        Assert.True((gated - folded).abs().max().item<float>() < 1e-5f);
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("tiny_mlp", null, 0.5)]
    [InlineData("tiny_cnn", 0.5, null)]
    [InlineData("tiny_mlp", 0.3, null)]
    public void L0_lands_within_five_percent_of_the_target_and_keeps_the_network_useful(string network, double? flops, double? parameters)
    {
        random.manual_seed(1);
        var graph = OnnxGraph.Parse(Fixtures.Network(network));
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var options = new PruningOptions { Steps = 400, BatchSize = 50, ValidationFraction = 0.25 };
        using var module = new GraphModule(graph, CPU);
        using var data = new TrainingData(Fixtures.Train2k(), graph.InputShape, options, CPU);
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
