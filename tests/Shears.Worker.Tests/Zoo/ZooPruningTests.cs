using System.Diagnostics;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Worker.Engine;
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
    /// <summary>The zoo networks Shears prunes today: single float input, class labels in their .npz.</summary>
    public static readonly string[] Pruned = ["efficientnet", "mobilenet_v3", "regnet", "resnext", "audio1d", "video3d", "convnext", "shufflenet_v2"];

    private static readonly PruningOptions ShortJob = new() { Steps = 4, StepsPerPrune = 1, BatchSize = 8, ValidationFraction = 0.25 };

    public static TheoryData<string, PruningMethod> Jobs()
    {
        var data = new TheoryData<string, PruningMethod>();
        foreach (var network in Pruned)
            foreach (var method in Enum.GetValues<PruningMethod>())
                data.Add(network, method);
        return data;
    }

    [Theory]
    [Trait("Category", "Slow")]
    [MemberData(nameof(Jobs))]
    public void Method_prunes_the_zoo_network_to_half_its_flops(string network, PruningMethod method)
    {
        var onnx = ZooNetworks.Network(network);
        var original = ModelInspector.Inspect(onnx);
        Assert.Empty(original.UnsupportedOps);
        Assert.NotEmpty(original.Groups);
        var data = ZooNetworks.Data(network);
        var options = ShortJob with { ChannelsPerPrune = Math.Max(1, original.Groups.Sum(g => g.Channels) / 100) };
        var request = new PruneRequest(onnx, data, method, new PruningTarget(0.5, null), options);
        var progress = new RecordingProgress();
        var clock = Stopwatch.StartNew();

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1)).Run(request, progress, CancellationToken.None);

        output.WriteLine($"{network} {method}: {clock.Elapsed.TotalSeconds:F1} s; FLOPs {outcome.Before.Flops} → {outcome.After.Flops}; {string.Join(" | ", progress.Logs)}");
        Assert.True(outcome.After.Flops <= 0.5 * outcome.Before.Flops, $"FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        Assert.Equal(original.Flops, outcome.Before.Flops);
        var pruned = ModelInspector.Inspect(outcome.PrunedOnnx);
        Assert.Empty(pruned.UnsupportedOps);
        Assert.Equal(outcome.After.Flops, pruned.Flops);

        using var runtime = new OnnxRuntimeRunner(outcome.PrunedOnnx);
        var outputs = runtime.Run(data.Inputs.AsSpan(0, 2 * data.SampleSize).ToArray(), [2, .. data.SampleShape.Select(d => (long)d)]);
        Assert.Equal(2 * data.NumClasses, outputs.Length);
        Assert.All(outputs, v => Assert.True(float.IsFinite(v)));
    }
}
