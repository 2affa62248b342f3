using Google.Protobuf;
using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Engine;
using Xunit.Abstractions;

namespace Shears.Worker.Tests.Zoo;

/// <summary>
/// Zoo networks as PyTorch 2.x's exporters write them at opset 21 (the changes since the zoo's opsets 13 and 17 that
/// touch its operators: opset 18 moves every Reduce*'s axes from an attribute to an int64 input and gives an equal Split
/// num_outputs instead of sizes): the upload inspects them alike and a short job prunes and verifies.
/// </summary>
public class NewerOpsetTests(ITestOutputHelper output)
{
    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("vit")]
    [InlineData("yolo")]
    [InlineData("dual_encoder")]
    [InlineData("sentence_encoder")]
    public void A_zoo_network_written_at_opset_21_inspects_alike_prunes_and_verifies(string network)
    {
        var original = ZooNetworks.Network(network);
        var onnx = AtOpset21(original);
        Assert.Equal(21, OnnxGraph.Parse(onnx).Opset);
        if (OnnxGraph.Parse(original).Nodes.Any(n => n.OpType == "Split"))
            Assert.Contains(OnnxGraph.Parse(onnx).Nodes, n => n.OpType == "Split" && n.Has("num_outputs"));
        var (before, after) = (ModelInspector.Inspect(original), ModelInspector.Inspect(onnx));
        Assert.Empty(after.UnsupportedOps);
        Assert.Equal((before.Flops, before.Params), (after.Flops, after.Params));
        Assert.Equal(before.Groups.Select(g => g.Channels), after.Groups.Select(g => g.Channels));
        var request = new PruneRequest(onnx, ZooNetworks.Data(network), PruningMethod.Magnitude, new PruningTarget(0.5, null),
            new PruningOptions { Steps = 4, StepsPerPrune = 1, BatchSize = 8, ValidationFraction = 0.25, MinWidth = 0 });

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1)).Run(request, new RecordingProgress(), CancellationToken.None);

        output.WriteLine($"{network} at opset 21: FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        Assert.True(outcome.After.Flops <= 0.5 * outcome.Before.Flops);
        Assert.Equal(21, OnnxGraph.Parse(outcome.PrunedOnnx).Opset);
    }

    private static readonly HashSet<string> ReductionsWithAxesInput =
        ["ReduceMean", "ReduceMax", "ReduceMin", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceProd", "ReduceLogSum", "ReduceLogSumExp"];

    /// <summary>The int64 values of an initializer or a Constant node's tensor, or null.</summary>
    private static long[]? Constant(GraphProto graph, string name) =>
        (graph.Initializer.FirstOrDefault(t => t.Name == name)
            ?? graph.Node.FirstOrDefault(n => n.OpType == "Constant" && n.Output[0] == name)?.Attribute.FirstOrDefault(a => a.Name == "value")?.T)
        is { DataType: (int)TensorProto.Types.DataType.Int64 } tensor ? OnnxTensors.ToInt64s(tensor) : null;

    /// <summary>The network rewritten as opset 21 says: Reduce* axes as an input, equal Splits (a C2f's halves, a fused QKV) by num_outputs.</summary>
    private static byte[] AtOpset21(byte[] onnx)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        foreach (var node in model.Graph.Node)
        {
            if (ReductionsWithAxesInput.Contains(node.OpType) && node.Attribute.FirstOrDefault(a => a.Name == "axes") is { } axes)
            {
                var name = $"{node.Output[0]}_axes";
                model.Graph.Initializer.Add(OnnxTensors.FromInt64s(name, [axes.Ints.Count], [.. axes.Ints]));
                node.Attribute.Remove(axes);
                node.Input.Add(name);
            }
            if (node.OpType == "Split" && node.Input.Count > 1 && Constant(model.Graph, node.Input[1]) is { } sizes && sizes.Distinct().Count() == 1)
            {
                node.Input.RemoveAt(1);
                node.Attribute.Add(new AttributeProto { Name = "num_outputs", Type = AttributeProto.Types.AttributeType.Int, I = node.Output.Count });
            }
        }
        foreach (var opset in model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx"))
            opset.Version = 21;
        model.IrVersion = Math.Max(model.IrVersion, 10);
        return model.ToByteArray();
    }
}
