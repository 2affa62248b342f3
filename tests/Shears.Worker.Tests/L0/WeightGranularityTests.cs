using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Methods.L0;
using static TorchSharp.torch;

namespace Shears.Worker.Tests.L0;

/// <summary>L0 with one gate per weight: exact zeros, folded fractional gates, shapes kept.</summary>
public class WeightGranularityTests
{
    [Fact]
    public void Settled_weight_gates_give_exact_zeros_and_onnx_runtime_computes_the_gated_network()
    {
        using var fixture = new RandomGates("tiny_mlp", seed: 4, granularity: "weight");
        var (graph, groups, module, data, session, gates) = (fixture.Graph, fixture.Groups, fixture.Module, fixture.Data, fixture.Session, fixture.WeightGates);

        var settled = gates.Settle(target: null);
        Assert.Contains(settled, z => z == 0f);
        Assert.Contains(settled, z => z is > 0f and < 1f);
        var pruned = Surgery.PruneToBytes(graph, groups, groups.ToDictionary(g => g.Id, _ => (IReadOnlySet<int>)new HashSet<int>()), module.ExportInitializers());
        Assert.Equal(settled.LongCount(z => z == 0f), ZerosInGatedWeights(pruned));

        // The reference: the original weights, each multiplied by its settled gate where it is read.
        using var reference = new GraphModule(graph, CPU);
        long offset = 0;
        foreach (var name in WeightGates.GatedWeights(session))
        {
            var shape = reference.Parameters[name].shape;
            var count = shape.Aggregate(1L, (a, d) => a * d);
            reference.SetWeightMultiplier(name, tensor(settled[(int)offset..(int)(offset + count)], shape));
            offset += count;
        }
        var input = data.ValidationFloats(16, out var inputShape);
        var worst = Parity.MaxDifference(pruned, reference, input, inputShape);
        Assert.True(worst < 1e-3f, $"ONNX Runtime vs gated: {worst}");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void A_weight_granularity_job_reaches_its_params_target_in_exact_zeros_and_says_dense_kernels_do_not_speed_up()
    {
        random.manual_seed(1);
        const double target = 0.3;
        var request = new PruneRequest(Fixtures.Network("tiny_mlp"), Fixtures.Train2k(), PruningMethod.L0, new PruningTarget(null, target),
            new PruningOptions { Steps = 250, BatchSize = 50, ValidationFraction = 0.25, Granularity = "weight" });
        var progress = new RecordingProgress();

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1)).Run(request, progress, CancellationToken.None);

        var sparsity = Assert.IsType<WeightSparsity>(outcome.Sparsity);
        Assert.Equal(sparsity.ZeroWeights, ZerosInGatedWeights(outcome.PrunedOnnx));
        Assert.InRange(sparsity.NonzeroParamsFraction, target * 0.95, target);
        Assert.Contains("do not run faster", sparsity.Note, StringComparison.Ordinal);
        Assert.Equal(outcome.Before.Params, outcome.After.Params); // shapes kept: the dense parameter count is unchanged
        Assert.True(outcome.After.Accuracy > 0.5, $"accuracy {outcome.After.Accuracy:P1}; {string.Join(" | ", progress.Logs)}");
        Assert.Contains(progress.Logs, l => l.Contains("exactly zero", StringComparison.Ordinal));
    }

    /// <summary>Exact zeros in the Conv/Gemm/MatMul weights of an ONNX file.</summary>
    private static long ZerosInGatedWeights(byte[] onnx)
    {
        var graph = OnnxGraph.Parse(onnx);
        return graph.Nodes.Where(n => n.OpType is "Conv" or "Gemm" or "MatMul").Select(n => n.Input[1]).Distinct()
            .Sum(name => OnnxTensors.ToFloats(graph.Initializers[name]).LongCount(v => v == 0f));
    }
}
