using Onnx;
using Google.Protobuf;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using Xunit.Abstractions;

namespace Shears.Worker.Tests.Zoo;

/// <summary>
/// Exports whose constants are initializers rather than Constant nodes, as onnx-simplifier and PyTorch 2.x write them: a
/// LayerNorm's epsilon, GELU's 0.5 and 1.0, the attention scale become 0-D initializers. They are constants to training;
/// trained, BERT's epsilon went below zero (ONNX Runtime then refused the pruned file: "epsilon_ >= 0 was false") and
/// ViT's loss became NaN.
/// </summary>
public class FoldedConstantsTests(ITestOutputHelper output)
{
    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("bert", PruningMethod.Magnitude)]
    [InlineData("vit", PruningMethod.Magnitude)]
    public void A_zoo_network_with_its_constants_folded_into_initializers_prunes_and_verifies(string network, PruningMethod method)
    {
        var onnx = WithConstantsAsInitializers(ZooNetworks.Network(network));
        var graph = OnnxGraph.Parse(onnx);
        Assert.DoesNotContain(graph.Nodes, n => n.OpType == "Constant" && n.Attribute[0].T is { Dims.Count: 0, DataType: (int)TensorProto.Types.DataType.Float });
        using (var module = new GraphModule(graph, TorchSharp.torch.CPU))
        {
            var scalars = graph.Model.Graph.Initializer.Where(t => t.Dims.Count == 0 && t.DataType == (int)TensorProto.Types.DataType.Float).Select(t => t.Name).ToList();
            Assert.NotEmpty(scalars);
            Assert.All(scalars, name => Assert.False(module.Parameters.ContainsKey(name), $"{name} is trained"));
        }
        var request = new PruneRequest(onnx, ZooNetworks.Data(network), method, new PruningTarget(0.5, null),
            new PruningOptions { Steps = 4, StepsPerPrune = 1, BatchSize = 8, ValidationFraction = 0.25, MinWidth = 0 });

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1)).Run(request, new RecordingProgress(), CancellationToken.None);

        output.WriteLine($"{network} {method}: FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        Assert.True(outcome.After.Flops <= 0.5 * outcome.Before.Flops);
        Assert.Empty(ModelInspector.Inspect(outcome.PrunedOnnx).UnsupportedOps);
    }

    /// <summary>Every Constant node's tensor as an initializer of the same name, the node removed.</summary>
    private static byte[] WithConstantsAsInitializers(byte[] onnx)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        foreach (var node in model.Graph.Node.Where(n => n.OpType == "Constant" && n.Attribute.Count == 1 && n.Attribute[0].T is not null).ToList())
        {
            var tensor = node.Attribute[0].T.Clone();
            tensor.Name = node.Output[0];
            model.Graph.Initializer.Add(tensor);
            model.Graph.Node.Remove(node);
        }
        return model.ToByteArray();
    }
}
