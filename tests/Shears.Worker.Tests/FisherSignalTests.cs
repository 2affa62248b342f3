using Shears.Domain.Graph;
using Shears.Domain.Onnx;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Methods;
using Shears.Worker.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Tests;

/// <summary>
/// The Fisher Δ the engine gets from one batched backward equals Δ computed the slow, obvious way:
/// a mask m_k on each channel, one example at a time, ∂L_n/∂m_k by autograd, Δ_k = Σ_n g²/(2N).
/// </summary>
public class FisherSignalTests
{
    public static TheoryData<string> Networks() => new() { "tiny_mlp", "tiny_cnn" };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Batched_delta_equals_per_example_autograd(string network)
    {
        var graph = OnnxGraph.Parse(Fixtures.Network(network));
        var groups = HandBuiltGroups(network);
        var data = Fixtures.Test1k(24);
        var x = tensor(data.Pixels().Select(v => v / 255f).ToArray(), [24, 1, 28, 28]);
        var y = tensor(data.Labels!);

        // Evaluation mode: BatchNormalization then treats examples independently, as the per-example reference needs.
        using var module = new GraphModule(graph, CPU);
        module.eval();
        var loss = Trainer.LossFor(module.OutputOp());

        double[][] engine;
        using (var gates = new ChannelGates(module, groups))
        using (var masks = new ChannelMasks(gates))
        using (var signal = new FisherSignal(gates))
        {
            masks.Remove(0, 3); // a removed channel has g = 0 and must not disturb the others
            gates.CaptureGradients = true;
            using var scope = NewDisposeScope();
            loss(module.forward(x), y).backward();
            signal.Accumulate(24, lossScale: 24);
            engine = signal.Deltas();
        }

        var reference = groups.Select(g => new double[g.Channels]).ToArray();
        using (var gates = new ChannelGates(module, groups))
        {
            for (var n = 0; n < 24; n++)
            {
                using var scope = NewDisposeScope();
                var masks = groups.Select(g => ones(g.Channels, dtype: ScalarType.Float64, requires_grad: true)).ToArray();
                masks[0].detach()[3] = tensor(0.0, dtype: ScalarType.Float64);
                foreach (var g in groups)
                    gates.Set(g.Id, masks[g.Id].to_type(ScalarType.Float32), keep: false);
                var exampleLoss = nn.functional.cross_entropy(module.forward(x[n..(n + 1)]), y[n..(n + 1)], reduction: nn.Reduction.Sum);
                AddExampleDelta(reference, groups, exampleLoss, masks, 24);
            }
        }

        Assert.Equal(0.0, engine[0][3]);
        foreach (var g in groups)
        {
            for (var k = 0; k < g.Channels; k++)
            {
                if (g.Id == 0 && k == 3)
                    continue; // removed: the reference still differentiates at m = 0
                var tolerance = 1e-4 * Math.Max(reference[g.Id][k], 1e-6) + 1e-9;
                Assert.True(Math.Abs(engine[g.Id][k] - reference[g.Id][k]) <= tolerance,
                    $"{network} group {g.Name} channel {k}: engine Δ {engine[g.Id][k]:G6}, per-example autograd Δ {reference[g.Id][k]:G6}");
            }
            Assert.Contains(engine[g.Id], d => d > 0);
        }
    }

    /// <summary>
    /// ViT's heads are gated where the out_proj Gemm reads [T·N, 64]: 17 token rows per example, token-major. Δ of each head
    /// (and of each MLP unit) must still be Σ over examples of the squared per-example derivative, not of per-token ones.
    /// </summary>
    [Fact]
    public void For_vit_heads_gated_on_token_rows_delta_is_per_example()
    {
        var graph = ShapeFolding.Fold(OnnxGraph.Parse(Zoo.ZooNetworks.Network("vit"))); // as a job folds it
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var heads = groups.Where(g => g.UnitWidth > 1).ToList();
        Assert.All(heads, g => Assert.Equal((17, 1), (Assert.Single(g.GateSites).RowsBefore, g.GateSites[0].RowsAfter)));
        const int n = 6;
        var data = Zoo.ZooNetworks.Data("vit");
        var x = tensor(data.Arrays[0].Floats!.AsSpan(0, n * data.Arrays[0].SampleSize).ToArray(), [n, 3, 32, 32]);
        var y = tensor(data.Labels!.AsSpan(0, n).ToArray());
        using var module = new GraphModule(graph, CPU);
        module.eval();

        var engine = EngineDeltas(module, groups, x, y);

        var reference = groups.Select(g => new double[g.Channels]).ToArray();
        using (var gates = new ChannelGates(module, groups))
        {
            for (var example = 0; example < n; example++)
            {
                using var scope = NewDisposeScope();
                var masks = groups.Select(g => ones(g.Channels, dtype: ScalarType.Float64, requires_grad: true)).ToArray();
                foreach (var g in groups)
                    gates.Set(g.Id, masks[g.Id].to_type(ScalarType.Float32), keep: false);
                var exampleLoss = nn.functional.cross_entropy(module.forward(x[example..(example + 1)]), y[example..(example + 1)], reduction: nn.Reduction.Sum);
                AddExampleDelta(reference, groups, exampleLoss, masks, n);
            }
        }

        foreach (var g in groups)
            for (var k = 0; k < g.Channels; k++)
                Assert.True(Math.Abs(engine[g.Id][k] - reference[g.Id][k]) <= (1e-3 * reference[g.Id][k]) + 1e-9,
                    $"vit group {g.Name} channel {k}: engine Δ {engine[g.Id][k]:G6}, per-example autograd Δ {reference[g.Id][k]:G6}");
        Assert.All(heads, g => Assert.Contains(engine[g.Id], d => d > 0));
    }

    /// <summary>
    /// On a residual network a group's channels are read by several consumers, some through skip Adds
    /// that the next block reads again. Δ must be the derivative of one multiplier per channel applied
    /// once to what every consumer reads: in the reference that multiplier scales the consumers' weight
    /// columns (W·(m⊙x) = (W·diag m)·x), so it never touches the skip path.
    /// </summary>
    [Fact]
    public void On_a_residual_network_delta_is_the_derivative_of_one_mask_per_channel()
    {
        var graph = OnnxGraph.Parse(Fixtures.Network("small_resnet"));
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        Assert.Contains(groups, g => g.Members.Count(m => m.Role == SliceRole.Consumer) >= 3);
        const int n = 12;
        var data = Fixtures.Test1k(n);
        var x = tensor(data.Arrays[0].Floats!.Select(v => v / 255f).ToArray(), [n, 1, 28, 28]);
        var y = tensor(data.Labels!);
        using var module = new GraphModule(graph, CPU);
        module.eval();

        var engine = EngineDeltas(module, groups, x, y);

        var reference = groups.Select(g => new double[g.Channels]).ToArray();
        var consumerWeights = groups.SelectMany(g => g.Members.Where(m => m.Role == SliceRole.Consumer)).Select(m => m.Initializer).Distinct().ToList();
        for (var example = 0; example < n; example++)
        {
            using var scope = NewDisposeScope();
            var masks = groups.Select(g => ones(g.Channels, dtype: ScalarType.Float64, requires_grad: true)).ToArray();
            foreach (var weight in consumerWeights)
                module.SetWeightMultiplier(weight, ColumnMultiplier(module.Parameters[weight].shape, groups, masks, weight));
            var exampleLoss = nn.functional.cross_entropy(module.forward(x[example..(example + 1)]), y[example..(example + 1)], reduction: nn.Reduction.Sum);
            AddExampleDelta(reference, groups, exampleLoss, masks, n);
        }
        foreach (var weight in consumerWeights)
            module.SetWeightMultiplier(weight, null);

        foreach (var g in groups)
        {
            for (var k = 0; k < g.Channels; k++)
            {
                var tolerance = 1e-3 * Math.Max(reference[g.Id][k], 1e-6) + 1e-9;
                Assert.True(Math.Abs(engine[g.Id][k] - reference[g.Id][k]) <= tolerance,
                    $"group {g.Name} channel {k}: engine Δ {engine[g.Id][k]:G6}, per-example autograd Δ {reference[g.Id][k]:G6}");
            }
            Assert.Contains(engine[g.Id], d => d > 0);
        }
    }

    /// <summary>The weight's multiplier: along each Consumer slice's axis, channel k's block of columns scaled by its group's m_k.</summary>
    private static Tensor ColumnMultiplier(long[] shape, IReadOnlyList<ChannelGroup> groups, Tensor[] masks, string weight)
    {
        var multiplier = ones(shape, dtype: ScalarType.Float64);
        foreach (var g in groups)
            foreach (var slice in g.Members.Where(m => m.Role == SliceRole.Consumer && m.Initializer == weight))
            {
                var length = shape[slice.Axis];
                var pieces = new List<Tensor> { ones(slice.Offset, dtype: ScalarType.Float64), masks[g.Id].repeat_interleave(slice.BlockSize) };
                pieces.Add(ones(length - slice.Offset - ((long)g.Channels * slice.BlockSize), dtype: ScalarType.Float64));
                var view = Enumerable.Repeat(1L, shape.Length).ToArray();
                view[slice.Axis] = length;
                multiplier = multiplier * cat(pieces, 0).view(view);
            }
        return multiplier.to_type(ScalarType.Float32);
    }

    /// <summary>The groups written out by hand, so this test checks the signal and nothing else.</summary>
    private static List<ChannelGroup> HandBuiltGroups(string network) => network switch
    {
        "tiny_mlp" =>
        [
            Group(0, "fc1", 32, "fc1", "fc2", "/Relu_output_0", "/fc2/Gemm_output_0"),
            Group(1, "fc2", 16, "fc2", "fc3", "/Relu_1_output_0", "logits"),
        ],
        _ =>
        [
            Group(0, "conv1", 4, "conv1", "conv2", "/MaxPool_output_0", "/conv2/Conv_output_0"),
            Group(1, "conv2", 8, "conv2", "fc1", "/MaxPool_1_output_0", "/Reshape_output_0"),
        ],
    };

    private static ChannelGroup Group(int id, string name, int channels, string producer, string consumer, string site, string reader) =>
        new(id, name, channels,
            [new($"{producer}.weight", 0, 0, 1, SliceRole.Producer), new($"{producer}.bias", 0, 0, 1, SliceRole.Producer), new($"{consumer}.weight", 1, 0, 1, SliceRole.Consumer)],
            [new GateSite(site, 1, 0, reader)]);

    /// <summary>Adds one example's g² / (2N) to every channel's reference Δ: g is its loss's gradient with respect to the channel's mask.</summary>
    private static void AddExampleDelta(double[][] reference, IReadOnlyList<ChannelGroup> groups, Tensor exampleLoss, Tensor[] masks, int examples)
    {
        var grads = torch.autograd.grad([exampleLoss], masks);
        foreach (var g in groups)
        {
            var gn = grads[g.Id].data<double>().ToArray();
            for (var k = 0; k < g.Channels; k++)
                reference[g.Id][k] += gn[k] * gn[k] / (2.0 * examples);
        }
    }

    /// <summary>The engine's Δ from one batched backward of the mean loss with every channel kept.</summary>
    private static double[][] EngineDeltas(GraphModule module, IReadOnlyList<ChannelGroup> groups, Tensor x, Tensor y)
    {
        using var gates = new ChannelGates(module, groups);
        using var masks = new ChannelMasks(gates);
        using var signal = new FisherSignal(gates);
        gates.CaptureGradients = true;
        using var scope = NewDisposeScope();
        Trainer.LossFor(module.OutputOp())(module.forward(x), y).backward();
        signal.Accumulate(x.shape[0], lossScale: x.shape[0]);
        return signal.Deltas();
    }
}
