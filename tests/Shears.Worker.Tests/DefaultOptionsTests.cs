using Shears.Domain.Jobs;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Methods;
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
        var (interval, most) = (EarlyStopping.IntervalFor(800 / 100), EarlyStopping.MaxStepsFor(800 / 100));
        Assert.True(run.Steps >= EarlyStopping.Patience * interval && run.Steps <= most, $"{run}");
        Assert.True(run.BestStep is { } best && best % interval == 0 && best <= run.Steps, $"{run}");
        Assert.Equal(outcome.After.Accuracy!.Value, run.BestAccuracy!.Value, 6);
        if (run.Steps < most)
            Assert.Equal(run.BestStep + (EarlyStopping.Patience * interval), run.Steps);
    }

    /// <summary>
    /// Without a length fine-tuning runs at most 10 epochs, at least 1,000 steps, and at most the method's bound: 5,400 steps
    /// (10 epochs of 54,000 images), 3,900 for Fisher, whose rounds train as they prune.
    /// </summary>
    [Theory]
    [InlineData(PruningMethod.Fisher, 3900)]
    [InlineData(PruningMethod.Magnitude, 5400)]
    [InlineData(PruningMethod.L0, 5400)]
    public void Fine_tuning_without_a_length_is_bounded_by_ten_epochs_and_by_the_method(PruningMethod method, int bound)
    {
        var most = PruningMethods.For(method).MostFineTuningSteps;

        Assert.Equal(bound, most);
        Assert.Equal(bound, EarlyStopping.MaxStepsFor(54_000 / 64 + 1, most));
        Assert.Equal(EarlyStopping.FewestMaxSteps, EarlyStopping.MaxStepsFor(6_000 / 64, most));
        Assert.Equal(2_000, EarlyStopping.MaxStepsFor(200, most));
    }

    /// <summary>
    /// Issue 17's LeNet-5 claim at the 2k fixture's scale: a job with no options (Fisher's bounded rounds, fine-tuning until the
    /// held-out accuracy stops improving, distillation with the labels) lands a quarter of the FLOPs close to the original on
    /// the 1,000 test images, and its fine-tuning kept weights better than the pruned network it started from.
    /// Measured (Release, loaded machine): 92.4% → 89.9%.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void A_default_fisher_job_takes_lenet5_to_a_quarter_of_its_flops_within_four_points_on_the_test_images()
    {
        var outcome = DefaultJob("lenet5", PruningMethod.Fisher, out var originalAccuracy, out var accuracy);

        Assert.True(outcome.After.Flops <= 0.25 * outcome.Before.Flops, $"FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        Assert.True(accuracy >= originalAccuracy - 0.04, $"test accuracy {originalAccuracy:P1} → {accuracy:P1}; {outcome.FineTuning}");
        Assert.True(outcome.FineTuning?.BestStep > 0, $"fine-tuning kept the weights it started from: {outcome.FineTuning}");
    }

    /// <summary>
    /// The same for L0: gates that start nearly open (droprateInit 0.1) and train for at least a few hundred steps, until the
    /// expected cost reaches the target. With the paper's 0.5 and one epoch of gate training (18 steps here) the gates
    /// closed nothing and the result was a near-random projection. Measured (Release, loaded machine): 92.4% → 89.3%.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void A_default_l0_job_takes_lenet5_to_a_quarter_of_its_flops_within_five_points_on_the_test_images()
    {
        var outcome = DefaultJob("lenet5", PruningMethod.L0, out var originalAccuracy, out var accuracy);

        Assert.True(outcome.After.Flops <= 0.25 * outcome.Before.Flops, $"FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        Assert.True(accuracy >= originalAccuracy - 0.05, $"test accuracy {originalAccuracy:P1} → {accuracy:P1}; {outcome.FineTuning}");
    }

    private static PruneOutcome DefaultJob(string network, PruningMethod method, out double originalAccuracy, out double accuracy)
    {
        var original = Fixtures.Network(network);
        var request = new PruneRequest(original, Fixtures.Train2k(), method, new PruningTarget(0.25, null), new PruningOptions());
        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1)).Run(request, new RecordingProgress(), CancellationToken.None);
        (originalAccuracy, accuracy) = (TestSetAccuracy.Of(original), TestSetAccuracy.Of(outcome.PrunedOnnx));
        return outcome;
    }
}
