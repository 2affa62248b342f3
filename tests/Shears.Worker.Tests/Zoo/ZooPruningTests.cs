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
        "textcnn", "yolo", "unet", "lraspp", "deeplabv3"];

    /// <summary>Half the FLOPs, except where a held layer is more than half: audio_gru's GRU is 58% of its FLOPs.</summary>
    private static double TargetOf(string network) => network == "audio_gru" ? 0.65 : 0.5;

    /// <summary>
    /// What the operators allow, not the defaults: regnet's grouped convolutions stay whole, so with the default minWidth
    /// (a quarter of every group) half its FLOPs is out of reach (50.8% at the narrowest).
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

        output.WriteLine($"{network} {method}: {clock.Elapsed.TotalSeconds:F1} s; FLOPs {outcome.Before.Flops} → {outcome.After.Flops}; {string.Join(" | ", progress.Logs)}");
        Assert.True(outcome.After.Flops <= TargetOf(network) * outcome.Before.Flops, $"FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        Assert.Equal(original.Flops, outcome.Before.Flops);
        if (data.Labels is null)
            Assert.Equal(Objective.Distill, outcome.Objective);
        var pruned = AtDataShape(outcome.PrunedOnnx, data);
        Assert.Empty(pruned.UnsupportedOps);
        Assert.Equal(outcome.After.Flops, pruned.Flops);

        // Every output of the pruned file has the original's size in ONNX Runtime, on two samples of every input.
        var samples = data.Arrays.Select(a => new HostTensor(a.Name, [2, .. a.SampleShape.Select(d => (long)d)],
            a.Floats is { } floats ? floats[..(2 * a.SampleSize)] : a.Integers![..(2 * a.SampleSize)])).ToList();
        using var originalRuntime = new OnnxRuntimeRunner(onnx);
        using var prunedRuntime = new OnnxRuntimeRunner(outcome.PrunedOnnx);
        var (expected, outputs) = (originalRuntime.Run(samples), prunedRuntime.Run(samples));
        Assert.Equal(expected.Select(o => o.Length), outputs.Select(o => o.Length));
        Assert.All(outputs.SelectMany(o => o), v => Assert.True(float.IsFinite(v)));
    }

    /// <summary>The inspection with dynamic lengths (tokens) counted as the dataset's, as the job counts them.</summary>
    private static ModelInspection AtDataShape(byte[] onnx, Dataset data) =>
        ModelInspector.Describe(SampleDimensions.Pin(OnnxGraph.Parse(onnx), name => data.Arrays.FirstOrDefault(a => a.Name == name)?.SampleShape));

    /// <summary>
    /// ViT executes (class token via Equal/Where/Expand, LayerNorm decomposed) and its MLP hidden units prune, but its
    /// attention heads and residual stream are held, so half its FLOPs is out of reach: the job says so before
    /// training, and a target it can reach succeeds with the shrunk-vs-masked check passing.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void Vit_prunes_its_mlp_units_and_refuses_a_target_only_head_pruning_could_reach()
    {
        var onnx = ZooNetworks.Network("vit");
        var inspection = ModelInspector.Inspect(onnx);
        Assert.Empty(inspection.UnsupportedOps);
        Assert.Equal(["mlp.0", "mlp.0"], inspection.Groups.Select(g => g.Name.Split('/')[^2]));
        var data = ZooNetworks.Data("vit");
        var engine = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1));

        var refused = Assert.Throws<PruningFailedException>(() => engine.Run(
            new PruneRequest(onnx, data, PruningMethod.Magnitude, new PruningTarget(0.5, null), ShortJob), new RecordingProgress(), CancellationToken.None));
        Assert.StartsWith("Target unreachable", refused.Message);
        output.WriteLine(refused.Message);
        Assert.Contains("besides input and output: ", refused.Message);

        var outcome = engine.Run(new PruneRequest(onnx, data, PruningMethod.Magnitude, new PruningTarget(0.6, null), ShortJob), new RecordingProgress(), CancellationToken.None);
        output.WriteLine($"vit magnitude at 60%: FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        Assert.True(outcome.After.Flops <= 0.6 * outcome.Before.Flops);
        Assert.Equal(outcome.After.Flops, ModelInspector.Inspect(outcome.PrunedOnnx).Flops);
    }
}
