using Shears.Domain.Jobs;
using Shears.Worker.Engine;

namespace Shears.Worker.Tests.L0;

/// <summary>
/// L0 levels and budget jobs: one gate training toward the smallest size, the gates projected to each size the network the
/// test-time gates keep passes, each projection fine-tuned on its own.
/// </summary>
public class L0TrajectoryTests
{
    private static readonly EngineSettings Settings = new(Threads: 1, LatencyRepeats: 2, LatencyRounds: 1);

    /// <summary>200 steps: 160 of gate training (enough for gates to close), then each size fine-tuned for 200.</summary>
    private static readonly PruningOptions Options = new() { Steps = 200, BatchSize = 50, ValidationFraction = 0.2, Seed = 3 };

    private static PruneRequest Request(PruningTarget target, PruningOptions options, Engine.Checkpoints.ITrainingCheckpoints? checkpoints = null) =>
        new(Fixtures.Network("tiny_mlp"), Fixtures.Train2k(1000), PruningMethod.L0, target, options, checkpoints);

    private static PruningTarget Levels(params double[] fractions) =>
        new(fractions.Min(), null) { Levels = new TargetLevels(CostMetric.Flops, fractions) };

    [Fact]
    [Trait("Category", "Slow")]
    public void An_l0_levels_job_trains_its_gates_once_and_hands_back_one_network_per_level()
    {
        var progress = new RecordingProgress();
        var outcome = new PruningEngine(Settings).Run(Request(Levels(0.3, 0.7, 0.5), Options), progress, CancellationToken.None);

        Assert.NotNull(outcome.Levels);
        Assert.Equal([0.7, 0.5, 0.3], outcome.Levels.Select(l => l.Target));
        foreach (var level in outcome.Levels)
        {
            var flops = (double)level.Network.After.Flops / outcome.Before.Flops;
            Assert.True(flops <= level.Target + 1e-9 && flops > level.Target - 0.1, $"level {level.Target}: {flops:P1} of the FLOPs");
            Assert.True(level.Network.After.Accuracy > 0.5, $"level {level.Target}: accuracy {level.Network.After.Accuracy:P1}");
        }
        Assert.True(outcome.Levels.Zip(outcome.Levels.Skip(1)).All(p => p.First.Network.After.Flops > p.Second.Network.After.Flops));
        Assert.Equal(outcome.Levels[^1].Network.PrunedOnnx, outcome.PrunedOnnx);
        // One gate training (the L0 phase planned once), one projection and snapshot per level, each level fine-tuned on its own.
        Assert.Equal(3, progress.Logs.Count(l => l.StartsWith("l0: ", StringComparison.Ordinal) && l.Contains("gates closed", StringComparison.Ordinal)));
        Assert.Equal(3, progress.Logs.Count(l => l.StartsWith("Snapshot at", StringComparison.Ordinal)));
        Assert.Equal(3, progress.Logs.Count(l => l.StartsWith("Level ", StringComparison.Ordinal) && l.Contains("fine-tuning", StringComparison.Ordinal)));
        // The plan counts one gate training (at most 160 steps: it ends early once the expected cost reaches the smallest
        // level) and the three fine-tunings together.
        var phases = progress.Updates.Last().Phases!;
        Assert.Equal(["l0-gates", "fine-tuning"], phases.Select(p => p.Name));
        Assert.InRange(phases[0].StepsDone, 1, 160);
        Assert.Equal(phases[0].StepsDone, phases[0].StepsPlanned);
        Assert.Equal(new PhaseProgress("fine-tuning", 600, 600), phases[1]);
        // The largest level was projected while the gates were still training, when what they keep passed it, not cut from
        // the final gates.
        var first = progress.Logs.First(l => l.StartsWith("l0: projecting the gates to 70", StringComparison.Ordinal));
        Assert.Contains("at gate step", first, StringComparison.Ordinal);
        Assert.DoesNotContain("final gates", first, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void An_l0_budget_job_hands_back_the_smallest_candidate_within_its_drop()
    {
        var target = new PruningTarget(null, null) { Budget = new QualityBudget(BudgetFigure.Accuracy, 0.05, CostMetric.Flops) };
        var outcome = new PruningEngine(Settings).Run(Request(target, Options), new RecordingProgress(), CancellationToken.None);

        var candidates = outcome.Candidates!;
        var chosen = Assert.Single(candidates, c => c.Chosen);
        Assert.True(chosen.WithinBudget);
        Assert.True(outcome.After.Accuracy >= outcome.Before.Accuracy - 0.05, $"accuracy {outcome.Before.Accuracy:P2} → {outcome.After.Accuracy:P2}");
        Assert.Equal(chosen.Figure, outcome.After.Accuracy!.Value, 6);
        Assert.Equal(chosen.Flops, outcome.After.Flops);
        Assert.All(candidates.Where(c => c.FlopsFraction < chosen.FlopsFraction), c => Assert.False(c.WithinBudget));
        Assert.All(candidates.Where(c => c.WithinBudget), c => Assert.True(c.FlopsFraction >= chosen.FlopsFraction));
        Assert.InRange(candidates.Count, 2, 5);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void An_l0_levels_job_stopped_during_its_gate_training_resumes_there_and_ends_as_an_uninterrupted_run()
    {
        var options = Options with { CheckpointEverySteps = 40 };
        var target = Levels(0.7, 0.4);
        var uninterrupted = new PruningEngine(Settings).Run(Request(target, options), new RecordingProgress(), CancellationToken.None);

        // The third save is after gate step 120 of 160: the 70% level is usually taken by then, the 40% not.
        using var stop = new CancellationTokenSource();
        var store = new MemoryCheckpoints(stop, cancelAfter: 3);
        Assert.ThrowsAny<OperationCanceledException>(() => new PruningEngine(Settings).Run(Request(target, options, store), new RecordingProgress(), stop.Token));

        var progress = new RecordingProgress();
        var resumed = new PruningEngine(Settings).Run(Request(target, options, store.Reopened()), progress, CancellationToken.None);

        Assert.Contains(progress.Logs, l => l.StartsWith("Resumed from the checkpoint saved after l0-gates step 120 ", StringComparison.Ordinal));
        Assert.Equal(uninterrupted.Levels!.Select(l => l.Network.WeightsSafetensors), resumed.Levels!.Select(l => l.Network.WeightsSafetensors));
        Assert.Equal(uninterrupted.After with { LatencyMs = 0 }, resumed.After with { LatencyMs = 0 });
    }
}
