using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Runtime;

namespace Shears.Worker.Tests;

/// <summary>Whole jobs through <see cref="PruningEngine.Run"/>: real training, real surgery, checked in ONNX Runtime.</summary>
public class PruningEngineTests
{
    private static readonly PruningOptions QuickOptions = new() { Steps = 30, StepsPerPrune = 2, BatchSize = 50, ValidationFraction = 0.2 };

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("tiny_cnn", PruningMethod.Fisher)]
    [InlineData("tiny_mlp", PruningMethod.Magnitude)]
    [InlineData("tiny_cnn", PruningMethod.L0)]
    public void Job_returns_a_smaller_network_that_onnx_runtime_runs(string network, PruningMethod method)
    {
        var onnx = Fixtures.Network(network);
        var progress = new RecordingProgress();
        // Layer scope for magnitude: a global ranking would cut the 16-unit fc2 down to a few units before fc1 halves.
        // L0 learns its gates while it trains, so it gets a real (still small) training budget.
        var options = method switch
        {
            PruningMethod.Magnitude => QuickOptions with { Scope = "layer" },
            PruningMethod.L0 => QuickOptions with { Steps = 400 },
            _ => QuickOptions,
        };
        var request = new PruneRequest(onnx, Fixtures.Train2k(1000), method, new PruningTarget(0.5, null), options);

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 5)).Run(request, progress, CancellationToken.None);

        Assert.True(outcome.After.Flops <= 0.5 * outcome.Before.Flops, $"FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        Assert.True(outcome.After.Params < outcome.Before.Params);
        Assert.True(outcome.PrunedOnnx.Length < onnx.Length);
        Assert.Contains(outcome.Layers, l => l.ChannelsAfter < l.ChannelsBefore);
        Assert.True(outcome.After.Accuracy > 0.5, $"accuracy {outcome.Before.Accuracy:P1} → {outcome.After.Accuracy:P1}; {string.Join(", ", outcome.Layers)}");
        Assert.NotEmpty(outcome.Trajectory);
        Assert.Equal(1.0, progress.Updates.Last().Fraction);

        // The shrunk network runs in ONNX Runtime on fresh test data and classifies about as the engine measured.
        var accuracy = TestSetAccuracy.Of(outcome.PrunedOnnx, 200);
        Assert.True(accuracy > 0.5, $"ORT accuracy on 200 test samples: {accuracy:P1}; {string.Join(" | ", progress.Logs)}");

        AssertSafetensorsHoldThePrunedWeights(outcome);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Latency_ranked_fisher_measures_every_group_as_the_network_shrinks_and_reaches_its_flops_target()
    {
        var progress = new RecordingProgress();
        var request = new PruneRequest(Fixtures.Network("small_resnet"), Fixtures.Train2k(600), PruningMethod.Fisher, new PruningTarget(0.7, null),
            QuickOptions with { Steps = 10, StepsPerPrune = 1, ChannelsPerPrune = 2, Cost = "latency" });

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1)).Run(request, progress, CancellationToken.None);

        Assert.True(outcome.After.Flops <= 0.7 * outcome.Before.Flops, $"FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        var profiles = progress.Logs.Where(l => l.StartsWith("Latency one channel saves", StringComparison.Ordinal)).ToList();
        // Measured at the start and again after each further 10% of the FLOPs: 100%, ≤ 90%, ≤ 80%.
        Assert.True(profiles.Count >= 3, string.Join(" | ", progress.Logs));
        Assert.All(profiles, p => Assert.All(outcome.Layers, l => Assert.Contains($"{l.Name} ", p, StringComparison.Ordinal)));
    }

    [Fact]
    public void Job_prunes_through_padding_exported_as_shape_arithmetic()
    {
        // conv → F.pad → conv: the engine has no Slice/ConstantOfShape kernels, so it must fold the pads first.
        var b = new OnnxBuilder([-1, 1, 28, 28]);
        var x = b.Node("Relu", [b.Node("Conv", [b.Input, b.Weight(8, 1, 3, 3), b.Weight(8)], ("strides", new long[] { 2, 2 }))]);
        x = b.Node("Relu", [b.Node("Conv", [b.PadAsExported(x, 1, 1, 2, 2), b.Weight(16, 8, 3, 3), b.Weight(16)])]);
        x = b.Node("Gemm", [b.Node("Flatten", [b.Node("GlobalAveragePool", [x])]), b.Weight(10, 16), b.Weight(10)], ("transB", 1L));
        var onnx = b.Build(x);
        Assert.Contains(OnnxGraph.Parse(onnx).Nodes, n => n.OpType is "Slice" or "ConstantOfShape");
        var request = new PruneRequest(onnx, Fixtures.Train2k(300), PruningMethod.Magnitude, new PruningTarget(0.5, null), QuickOptions with { Steps = 4 });

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1)).Run(request, new RecordingProgress(), CancellationToken.None);

        Assert.True(outcome.After.Flops <= 0.5 * outcome.Before.Flops, $"FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        Assert.Contains(outcome.Layers, l => l.ChannelsAfter < l.ChannelsBefore);
        using var runtime = new OnnxRuntimeRunner(outcome.PrunedOnnx);
        Assert.Equal(2 * 10, runtime.Run(new float[2 * 28 * 28], [2, 1, 28, 28]).Length);
    }

    /// <summary>
    /// tests/fixtures/fixed_batch_cnn.onnx is torch.onnx.export's default: no dynamic_axes, so input and output have batch 1
    /// and x.view(x.size(0), -1) is the constant Reshape target [1, 784]. The job trains it on batches and hands back a
    /// network that runs at any batch.
    /// </summary>
    [Fact]
    public void Job_prunes_a_network_exported_with_a_fixed_batch_of_one()
    {
        var onnx = Fixtures.Network("fixed_batch_cnn");
        Assert.Equal(1, global::Onnx.ModelProto.Parser.ParseFrom(onnx).Graph.Input[0].Type.TensorType.Shape.Dim[0].DimValue);
        Assert.Equal("batch", OnnxGraph.Parse(onnx).Model.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        var request = new PruneRequest(onnx, Fixtures.Train2k(300), PruningMethod.Fisher, new PruningTarget(0.5, null), QuickOptions with { Steps = 6 });

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1)).Run(request, new RecordingProgress(), CancellationToken.None);

        Assert.True(outcome.After.Flops <= 0.5 * outcome.Before.Flops, $"FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        using var runtime = new OnnxRuntimeRunner(outcome.PrunedOnnx);
        Assert.Equal(5 * 10, runtime.Run(new float[5 * 28 * 28], [5, 1, 28, 28]).Length);
    }

    [Fact]
    public void Unreachable_target_fails_with_a_reason()
    {
        // tiny_mlp's first layer reads 784 input pixels the engine holds fixed: 1% of its FLOPs is out of reach.
        var request = new PruneRequest(Fixtures.Network("tiny_mlp"), Fixtures.Train2k(300), PruningMethod.Fisher, new PruningTarget(0.01, null), QuickOptions);
        var error = Assert.Throws<PruningFailedException>(() => new PruningEngine().Run(request, new RecordingProgress(), CancellationToken.None));
        Assert.Contains("unreachable", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Cancellation_stops_a_running_job_within_a_step()
    {
        using var cancellation = new CancellationTokenSource();
        var progress = new RecordingProgress(cancellation, step: 4);
        var options = QuickOptions with { Steps = 10_000 };
        var request = new PruneRequest(Fixtures.Network("tiny_cnn"), Fixtures.Train2k(500), PruningMethod.Fisher, new PruningTarget(0.3, null), options);

        Assert.ThrowsAny<OperationCanceledException>(() => new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 3)).Run(request, progress, cancellation.Token));
        // The cancel came with the event at step ≥ 4; at most one more pruning round (2 steps) ran after it.
        Assert.True(progress.Updates.Max(u => u.Step) <= 6, $"last step reported {progress.Updates.Max(u => u.Step)}");
    }

    private static void AssertSafetensorsHoldThePrunedWeights(PruneOutcome outcome)
    {
        var file = outcome.WeightsSafetensors;
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(file, 8, headerLength));
        var pruned = OnnxGraph.Parse(outcome.PrunedOnnx);
        foreach (var initializer in pruned.Model.Graph.Initializer.Where(t => t.DataType == 1))
        {
            var entry = header.RootElement.GetProperty(initializer.Name);
            Assert.Equal("F32", entry.GetProperty("dtype").GetString());
            Assert.Equal(initializer.Dims.ToArray(), entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray());
            var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            var stored = new float[(offsets[1] - offsets[0]) / 4];
            Buffer.BlockCopy(file, 8 + headerLength + offsets[0], stored, 0, offsets[1] - offsets[0]);
            Assert.Equal(OnnxTensors.ToFloats(initializer), stored);
        }
    }
}
