using System.Diagnostics;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Runtime;
using Xunit.Abstractions;

namespace Shears.Worker.Tests;

/// <summary>
/// Every method prunes every PyTorch-exported network to half its FLOPs in a short job. The engine
/// only hands out a network that ONNX Runtime loads and whose output equals the masked TorchSharp
/// network's within <see cref="PruningEngine.VerificationTolerance"/> (it fails the job otherwise);
/// here the file is inspected again on its own and run once more in ONNX Runtime.
/// Data: the 28×28 networks get Fashion-MNIST images; the 3×64×64 torchvision networks (random
/// weights) get the same images, upscaled and repeated on three channels, with their real labels.
/// </summary>
public class ExportedNetworkJobTests(ITestOutputHelper output)
{
    private static readonly string[] Networks = ["small_resnet", "small_densenet", "mobilenet_v2", "resnet18"];

    private static readonly PruningOptions ShortJob = new() { Steps = 4, StepsPerPrune = 1, BatchSize = 8, ValidationFraction = 0.25 };

    public static TheoryData<string, PruningMethod> Jobs() => EveryMethod.On(Networks);

    [Theory]
    [Trait("Category", "Slow")]
    [MemberData(nameof(Jobs))]
    public void Method_prunes_the_exported_network_to_half_its_flops(string network, PruningMethod method)
    {
        var onnx = Fixtures.Network(network);
        var original = ModelInspector.Inspect(onnx);
        var sampleShape = original.Inputs[0].Shape.Skip(1).Select(d => (int)d).ToArray();
        // Fisher removes one channel per hundred each round: one at a time, resnet18 needs ~1000 rounds.
        var options = ShortJob with { ChannelsPerPrune = Math.Max(1, original.Groups.Sum(g => g.Channels) / 100) };
        var request = new PruneRequest(onnx, Fixtures.Resized(Fixtures.Train2k(128), sampleShape), method, new PruningTarget(0.5, null), options);
        var progress = new RecordingProgress();
        var clock = Stopwatch.StartNew();

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1)).Run(request, progress, CancellationToken.None);

        output.WriteLine($"{network} {method}: {clock.Elapsed.TotalSeconds:F1} s; FLOPs {outcome.Before.Flops} → {outcome.After.Flops}; {string.Join(" | ", progress.Logs)}");
        Assert.True(outcome.After.Flops <= 0.5 * outcome.Before.Flops, $"FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        // Issue 17: by default (minWidth 0.25) no layer goes below a quarter of its width, whatever the method.
        Assert.All(outcome.Layers, l => Assert.True(l.ChannelsAfter * 4 >= l.ChannelsBefore, $"{l.Name}: {l.ChannelsBefore} → {l.ChannelsAfter}"));
        var pruned = ModelInspector.Inspect(outcome.PrunedOnnx);
        Assert.Empty(pruned.UnsupportedOps);
        Assert.Equal(outcome.After.Flops, pruned.Flops);
        Assert.Equal(original.Flops, outcome.Before.Flops);

        using var runtime = new OnnxRuntimeRunner(outcome.PrunedOnnx);
        var logits = runtime.Run(new float[2 * sampleShape.Aggregate(1, (a, d) => a * d)], [2, .. sampleShape.Select(d => (long)d)]);
        Assert.Equal(2 * 10, logits.Length);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
    }
}
