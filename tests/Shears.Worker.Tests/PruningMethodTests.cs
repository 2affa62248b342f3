using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Methods;
using Shears.Worker.Engine.Training;
using static TorchSharp.torch;

namespace Shears.Worker.Tests;

/// <summary>The methods on masks, with real training on a real Fashion-MNIST subset.</summary>
public class PruningMethodTests
{
    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("tiny_cnn", PruningMethod.Fisher)]
    [InlineData("tiny_mlp", PruningMethod.Fisher)]
    [InlineData("tiny_cnn", PruningMethod.Magnitude)]
    public void Method_reaches_a_flops_target_and_keeps_the_network_useful(string network, PruningMethod method)
    {
        random.manual_seed(1);
        var graph = OnnxGraph.Parse(Fixtures.Network(network));
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var options = new PruningOptions { Steps = 40, StepsPerPrune = 2, BatchSize = 50, ValidationFraction = 0.25 };
        using var module = new GraphModule(graph, CPU);
        using var data = new TrainingData(Fixtures.Train2k(1000), graph.Inputs, options, CPU);
        var progress = new RecordingProgress();
        using var session = new PruningSession(graph, groups, module, data, new PruningTarget(0.6, null), options, progress, CancellationToken.None);
        var before = Evaluation.Accuracy(module, data);

        if (method == PruningMethod.Fisher)
            FisherPruning.Run(session);
        else
            MagnitudePruning.Run(session);

        Assert.True(session.Cost.FlopsFraction <= 0.6, $"FLOPs fraction {session.Cost.FlopsFraction}");
        Assert.All(groups, g => Assert.True(session.Masks.KeptCount(g.Id) >= 1));
        var after = Evaluation.Accuracy(module, data);
        Assert.True(after > 0.5, $"{network} {method}: accuracy {before:P1} → {after:P1}");
        Assert.NotEmpty(progress.Updates);
        Assert.Contains(progress.Updates, u => u.Accuracy is not null);
    }
}
