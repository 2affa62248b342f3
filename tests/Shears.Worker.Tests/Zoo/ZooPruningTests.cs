using System.Diagnostics;
using Shears.Domain.Datasets;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Runtime;
using Shears.Worker.Engine.Training;
using Xunit.Abstractions;

namespace Shears.Worker.Tests.Zoo;

/// <summary>
/// The zoo (docs/zoo.md): every network listed here inspects with no unsupported operator, and every method
/// prunes it to half its FLOPs in a short job whose shrunk-vs-masked verification passes (the engine fails the
/// job otherwise), giving a file that inspects again and runs in ONNX Runtime. Networks that still lack an
/// operator, a coupling or multi-input data are not listed; docs/zoo.md says what each lacks.
/// </summary>
public class ZooPruningTests(ITestOutputHelper output)
{
    /// <summary>
    /// The zoo networks Shears prunes today. Classifiers train on their .npz labels; the detector and the segmenters have
    /// none, so their jobs distill from the original network; the text networks read int64 token ids (and a mask).
    /// </summary>
    public static readonly string[] Pruned = ["efficientnet", "mobilenet_v3", "regnet", "resnext", "audio1d", "video3d", "convnext", "shufflenet_v2", "norms_activations", "audio_gru",
        "textcnn", "yolo", "unet", "lraspp", "deeplabv3", "vit", "bert", "sentence_encoder",
        "vit_opset11", "lstm_text", "dual_encoder", "gpt2", "t5_encoder", "espcn", "swin", "conformer", "wide_deep"];

    /// <summary>Half the FLOPs, except where a held layer is about half or more: audio_gru's GRU is 58% of its FLOPs, lstm_text's BiLSTM 52%.</summary>
    private static double TargetOf(string network) => network is "audio_gru" or "lstm_text" ? 0.65 : 0.5;

    /// <summary>
    /// What the operators allow, not the defaults: while regnet's grouped convolutions stayed whole, the default minWidth
    /// (a quarter of every group) put half its FLOPs out of reach (50.8% at the narrowest).
    /// </summary>
    private static readonly PruningOptions ShortJob = new() { Steps = 4, StepsPerPrune = 1, BatchSize = 8, ValidationFraction = 0.25, MinWidth = 0 };

    public static TheoryData<string, PruningMethod> Jobs() => EveryMethod.On(Pruned);

    [Theory]
    [Trait("Category", "Slow")]
    [MemberData(nameof(Jobs))]
    public void Method_prunes_the_zoo_network_to_its_target_flops(string network, PruningMethod method)
    {
        var onnx = ZooNetworks.Network(network);
        var upload = ModelInspector.Inspect(onnx);
        Assert.Empty(upload.UnsupportedOps);
        Assert.NotEmpty(upload.Groups);
        var data = ZooNetworks.Data(network);
        var original = AtDataShape(onnx, data);
        var options = ShortJob with { ChannelsPerPrune = Math.Max(1, original.Groups.Sum(g => g.Channels) / 100) };
        var request = new PruneRequest(onnx, data, method, new PruningTarget(TargetOf(network), null), options);
        var progress = new RecordingProgress();
        var clock = Stopwatch.StartNew();

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1)).Run(request, progress, CancellationToken.None);

        output.WriteLine($"{network} {method}: {clock.Elapsed.TotalSeconds:F1} s; FLOPs {outcome.Before.Flops} → {outcome.After.Flops}; params {outcome.Before.Params} → {outcome.After.Params}; {original.Groups.Count} groups ({original.Groups.Sum(g => g.Channels)} channels); {string.Join(" | ", progress.Logs)}");
        Assert.True(outcome.After.Flops <= TargetOf(network) * outcome.Before.Flops, $"FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        Assert.Equal(original.Flops, outcome.Before.Flops);
        if (data.Labels is null)
            Assert.Equal(Objective.Distill, outcome.Objective);
        // Top-1 agreement is measured for class scores only (dual_encoder's normalised and sentence_encoder's pooled embeddings are values).
        Assert.Equal(upload.Outputs.Select(o => o.Kind == OutputKinds.Classes), (outcome.After.Agreement ?? []).Select(a => a.Top1Agreement is not null));
        var pruned = AtDataShape(outcome.PrunedOnnx, data);
        Assert.Empty(pruned.UnsupportedOps);
        Assert.Equal(outcome.After.Flops, pruned.Flops);
        AssertSomeGroupedConvLostWholeGroups(onnx, outcome.PrunedOnnx);

        // Every output of the pruned file has the original's size in ONNX Runtime, on two samples of every input.
        var samples = data.Arrays.Select(a => new HostTensor(a.Name, [2, .. a.SampleShape.Select(d => (long)d)],
            a.Floats is { } floats ? floats[..(2 * a.SampleSize)] : a.Integers![..(2 * a.SampleSize)])).ToList();
        using var originalRuntime = new OnnxRuntimeRunner(onnx);
        using var prunedRuntime = new OnnxRuntimeRunner(outcome.PrunedOnnx);
        var (expected, outputs) = (originalRuntime.Run(samples), prunedRuntime.Run(samples));
        Assert.Equal(expected.Select(o => o.Length), outputs.Select(o => o.Length));
        Assert.All(outputs.SelectMany(o => o), v => Assert.True(float.IsFinite(v)));
    }

    /// <summary>
    /// Where the original has grouped Convs that are not depthwise (regnet, resnext), at least one of them keeps fewer groups
    /// of the same width: half the FLOPs is not reached around them any more.
    /// </summary>
    private void AssertSomeGroupedConvLostWholeGroups(byte[] original, byte[] prunedOnnx)
    {
        var (before, after) = (OnnxGraph.Parse(original), OnnxGraph.Parse(prunedOnnx));
        var grouped = before.Nodes.Where(n => n.OpType == "Conv" && n.IntAttribute("group", 1) > 1
            && OnnxTensors.Dims(before.Initializers[n.Input[1]])[1] > 1).ToList();
        if (grouped.Count == 0)
            return;
        var changes = grouped.Select(n => (Node: n, Pruned: after.Nodes.Single(p => p.Name == n.Name))).Select(c => (c.Node.Name,
            Groups: (c.Node.IntAttribute("group", 1), c.Pruned.IntAttribute("group", 1)),
            PerGroup: (OnnxTensors.Dims(before.Initializers[c.Node.Input[1]])[1], OnnxTensors.Dims(after.Initializers[c.Pruned.Input[1]])[1]))).ToList();
        output.WriteLine($"grouped convs: {string.Join(", ", changes.Select(c => $"{c.Name} {c.Groups.Item1}→{c.Groups.Item2} groups of {c.PerGroup.Item2}"))}");
        Assert.All(changes, c => Assert.Equal(c.PerGroup.Item1, c.PerGroup.Item2));
        Assert.Contains(changes, c => c.Groups.Item2 < c.Groups.Item1);
    }

    /// <summary>The inspection with dynamic lengths (tokens) counted as the dataset's, as the job counts them.</summary>
    private static ModelInspection AtDataShape(byte[] onnx, Dataset data) =>
        ModelInspector.Describe(SampleDimensions.Pin(OnnxGraph.Parse(onnx), name => data.Arrays.FirstOrDefault(a => a.Name == name)?.SampleShape));

    /// <summary>
    /// ViT's attention heads are groups (one per block, a head of head_dim channels at a time: the fused QKV projection cut
    /// by Slice, the head count in the Reshapes), beside its MLP units; before they were, half its FLOPs was refused
    /// ("Target unreachable … 53.9 %"). The opset-11 export normalizes its attention with Softmax over axis 2 of
    /// [batch·heads, T, T] (before opset 13: that axis and the ones after it), which held every head until that was read
    /// as it is. The theory above prunes both to half with every method.
    /// </summary>
    [Theory]
    [InlineData("vit", 2, 16)]
    [InlineData("vit_opset11", 1, 8)]
    public void Vit_has_a_head_group_per_attention_block(string network, int blocks, int headWidth)
    {
        var inspection = ModelInspector.Inspect(ZooNetworks.Network(network));
        var graph = Shears.Domain.Onnx.OnnxGraph.Parse(ZooNetworks.Network(network));
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        Assert.Equal(Enumerable.Repeat(new[] { ChannelGroupKind.Heads, ChannelGroupKind.Units }, blocks).SelectMany(k => k), groups.Select(g => ChannelGroupKinds.Of(graph, g)));
        Assert.All(groups.Where(g => ChannelGroupKinds.Of(graph, g) == ChannelGroupKind.Heads), g => Assert.Equal((4, headWidth), (g.Channels, g.UnitWidth)));
        Assert.Equal(groups.Select(g => g.Channels), inspection.Groups.Select(g => g.Channels));
    }
}
