using Shears.Domain.Jobs;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Training;

namespace Shears.Worker.Tests;

/// <summary>The fine-tuning learning rate a job's options give, and the default recovery a job with no length gets.</summary>
public class FineTuningRateTests
{
    [Fact]
    public void Without_a_length_or_a_schedule_fine_tuning_starts_at_three_times_the_rate_and_decays_otherwise_the_job_rate_holds()
    {
        Assert.Equal(new FineTuningRate(3e-3, Cosine: true), FineTuningRate.For(new PruningOptions(), lengthOpen: true));
        Assert.Equal(new FineTuningRate(1e-3, Cosine: false), FineTuningRate.For(new PruningOptions(), lengthOpen: false));
        Assert.Equal(new FineTuningRate(1e-3, Cosine: false), FineTuningRate.For(new PruningOptions { Schedule = "constant" }, lengthOpen: true));
        Assert.Equal(new FineTuningRate(1e-3, Cosine: true), FineTuningRate.For(new PruningOptions { Schedule = "cosine" }, lengthOpen: false));
        Assert.Equal(new FineTuningRate(1e-3, Cosine: true), FineTuningRate.For(new PruningOptions { Schedule = "cosine" }, lengthOpen: true));
        Assert.Equal(new FineTuningRate(6e-3, Cosine: true), FineTuningRate.For(new PruningOptions { LearningRate = 2e-3 }, lengthOpen: true));
        Assert.Equal(new FineTuningRate(5e-4, Cosine: true), FineTuningRate.For(new PruningOptions { FineTuningLearningRate = 5e-4 }, lengthOpen: true));
        Assert.Equal(new FineTuningRate(5e-4, Cosine: false), FineTuningRate.For(new PruningOptions { FineTuningLearningRate = 5e-4, Steps = 10 }, lengthOpen: false));

        var rate = FineTuningRate.For(new PruningOptions(), lengthOpen: true);
        Assert.Equal(3e-3, rate.At(1, 1000), 12);
        Assert.Equal(1.5e-3, rate.At(501, 1000), 12);
        Assert.True(rate.At(1000, 1000) < 1e-7);
    }

    /// <summary>
    /// A job with default options trains for real along the default recovery: from 3 × 1e-3 down along a half cosine over its
    /// upper bound, stopped by the held-out accuracy, and ends better than the pruned network it started from.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void A_job_without_a_length_fine_tunes_along_the_default_recovery_and_keeps_weights_better_than_the_pruned_network()
    {
        var progress = new RecordingProgress();
        var request = new PruneRequest(Fixtures.Network("tiny_mlp"), Fixtures.Train2k(1000), PruningMethod.Magnitude, new PruningTarget(0.5, null),
            new PruningOptions { ValidationFraction = 0.2 });

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1)).Run(request, progress, CancellationToken.None);

        var most = EarlyStopping.MaxStepsFor(800 / 100);
        Assert.Contains($"Fine-tuning learning rate: from 0.003 down to zero along a half cosine, over at most {most} steps.", progress.Logs);
        var run = outcome.FineTuning ?? throw new InvalidOperationException("no fine-tuning run reported");
        Assert.True(run.BestStep > 0 && run.Steps <= most, $"{run}");
        Assert.True(outcome.After.Accuracy >= 0.8 * outcome.Before.Accuracy, $"accuracy {outcome.Before.Accuracy:P1} → {outcome.After.Accuracy:P1}; {run}");
    }
}
