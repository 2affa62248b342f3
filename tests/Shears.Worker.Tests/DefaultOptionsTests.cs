using Shears.Domain.Jobs;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Training;

namespace Shears.Worker.Tests;

/// <summary>Jobs with the default options keep the network usable.</summary>
public class DefaultOptionsTests
{
    /// <summary>
    /// The README's CLI example: magnitude to half the FLOPs of the tiny MLP on the 2k subset with one epoch of fine-tuning.
    /// Ranked by raw normalised norms it emptied the 16-unit fc2 (whose units save almost no FLOPs) and came back at 14% from 85%.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void Magnitude_at_half_the_flops_of_the_tiny_mlp_keeps_most_of_its_accuracy_and_every_layer_a_quarter_wide()
    {
        var request = new PruneRequest(Fixtures.Network("tiny_mlp"), Fixtures.Train2k(), PruningMethod.Magnitude, new PruningTarget(0.5, null),
            new PruningOptions { Epochs = 1 });

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1)).Run(request, new RecordingProgress(), CancellationToken.None);

        Assert.True(outcome.After.Flops <= 0.5 * outcome.Before.Flops, $"FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        Assert.True(outcome.After.Accuracy >= 0.7 * outcome.Before.Accuracy,
            $"accuracy {outcome.Before.Accuracy:P1} → {outcome.After.Accuracy:P1}; {string.Join(", ", outcome.Layers)}");
        Assert.All(outcome.Layers, l => Assert.True(l.ChannelsAfter * 4 >= l.ChannelsBefore, $"{l.Name}: {l.ChannelsBefore} → {l.ChannelsAfter}"));
    }

    /// <summary>Without epochs or steps fine-tuning stops once the held-out accuracy stops improving, and the result says how long it ran.</summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void Without_a_length_fine_tuning_stops_when_held_out_accuracy_stops_improving_and_says_so()
    {
        var request = new PruneRequest(Fixtures.Network("tiny_mlp"), Fixtures.Train2k(1000), PruningMethod.Magnitude, new PruningTarget(0.5, null),
            new PruningOptions { ValidationFraction = 0.2 });

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1)).Run(request, new RecordingProgress(), CancellationToken.None);

        var run = outcome.FineTuning ?? throw new InvalidOperationException("no fine-tuning run reported");
        var epoch = 800 / 100;
        Assert.True(run.Steps >= EarlyStopping.Patience * epoch && run.Steps <= EarlyStopping.MaxEpochs * epoch, $"{run}");
        Assert.True(run.BestStep is { } best && best % epoch == 0 && best <= run.Steps, $"{run}");
        Assert.Equal(outcome.After.Accuracy!.Value, run.BestAccuracy!.Value, 6);
        if (run.Steps < EarlyStopping.MaxEpochs * epoch)
            Assert.Equal(run.BestStep + (EarlyStopping.Patience * epoch), run.Steps);
    }
}
