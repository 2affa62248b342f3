using Shears.Domain.Jobs;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Budgets;
using Shears.Worker.Engine.Checkpoints;
using Shears.Worker.Engine.Training;

namespace Shears.Worker.Tests;

/// <summary>Levels jobs (one network per size from one trajectory) and budget jobs (the smallest network within an accuracy drop).</summary>
public class TargetPlanJobTests
{
    private static readonly EngineSettings Settings = new(Threads: 1, LatencyRepeats: 2, LatencyRounds: 1);

    private static readonly PruningOptions Options = new() { Steps = 20, StepsPerPrune = 2, ChannelsPerPrune = 4, BatchSize = 50, ValidationFraction = 0.2, Seed = 3 };

    private static PruneRequest Request(PruningMethod method, PruningTarget target, PruningOptions options, ITrainingCheckpoints? checkpoints = null) =>
        new(Fixtures.Network("tiny_mlp"), Fixtures.Train2k(1000), method, target, options, checkpoints);

    private static PruningTarget Levels(params double[] fractions) =>
        new(fractions.Min(), null) { Levels = new TargetLevels(CostMetric.Flops, fractions) };

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData(PruningMethod.Fisher)]
    [InlineData(PruningMethod.Magnitude)]
    public void A_levels_job_hands_back_one_network_per_level_from_one_trajectory(PruningMethod method)
    {
        var progress = new RecordingProgress();
        // Layer scope for magnitude: a global ranking empties tiny_mlp's narrow second layer first (PruningEngineTests).
        var options = method == PruningMethod.Magnitude ? Options with { Scope = "layer" } : Options;
        var outcome = new PruningEngine(Settings).Run(Request(method, Levels(0.35, 0.7, 0.5), options), progress, CancellationToken.None);

        Assert.NotNull(outcome.Levels);
        Assert.Equal([0.7, 0.5, 0.35], outcome.Levels.Select(l => l.Target));
        foreach (var level in outcome.Levels)
        {
            var flops = (double)level.Network.After.Flops / outcome.Before.Flops;
            Assert.True(flops <= level.Target && flops > level.Target - 0.1, $"level {level.Target}: {flops:P1} of the FLOPs");
            Assert.True(level.Network.After.Accuracy > 0.3, $"level {level.Target}: accuracy {level.Network.After.Accuracy:P1}");
            Assert.True(level.Network.After.LatencyMs > 0);
        }
        Assert.True(outcome.Levels.Zip(outcome.Levels.Skip(1)).All(p => p.First.Network.After.Flops > p.Second.Network.After.Flops));
        if (method == PruningMethod.Magnitude)
        {
            // Magnitude's trajectory does not depend on its target: a level is the network a one-target job reaches, with
            // the same widths and, after the same fine-tuning, about its accuracy.
            var single = new PruningEngine(Settings).Run(Request(method, new PruningTarget(0.35, null), options), new RecordingProgress(), CancellationToken.None);
            Assert.Equal(single.Layers, outcome.Levels[^1].Network.Layers);
            Assert.True(Math.Abs(single.After.Accuracy!.Value - outcome.Levels[^1].Network.After.Accuracy!.Value) < 0.1,
                $"one-target job {single.After.Accuracy:P1}, level {outcome.Levels[^1].Network.After.Accuracy:P1}");
        }
        Assert.Equal(outcome.Levels[^1].Network.PrunedOnnx, outcome.PrunedOnnx);
        // One trajectory: the method pruned once (one "reached the target" for fisher), then each level was fine-tuned on its own.
        Assert.Equal(3, progress.Logs.Count(l => l.StartsWith("Snapshot at", StringComparison.Ordinal)));
        Assert.Equal(3, progress.Logs.Count(l => l.StartsWith("Level ", StringComparison.Ordinal) && l.Contains("fine-tuning", StringComparison.Ordinal)));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void An_accuracy_budget_job_hands_back_the_smallest_candidate_within_its_drop_and_lists_every_candidate()
    {
        var target = new PruningTarget(null, null) { Budget = new QualityBudget(BudgetFigure.Accuracy, 0.03, CostMetric.Flops) };
        var outcome = new PruningEngine(Settings).Run(Request(PruningMethod.Magnitude, target, Options with { Scope = "layer" }), new RecordingProgress(), CancellationToken.None);

        Assert.NotNull(outcome.Candidates);
        var chosen = Assert.Single(outcome.Candidates, c => c.Chosen);
        Assert.True(outcome.After.Accuracy >= outcome.Before.Accuracy - 0.03, $"accuracy {outcome.Before.Accuracy:P2} → {outcome.After.Accuracy:P2}");
        Assert.Equal(chosen.Figure, outcome.After.Accuracy!.Value, 6);
        Assert.Equal(chosen.FlopsFraction, (double)outcome.After.Flops / outcome.Before.Flops, 6);
        Assert.True(chosen.WithinBudget);
        // The chosen one is the smallest within the budget, every smaller one tried was outside it, and the search fine-tuned
        // a few candidates, not all of the sizes.
        Assert.All(outcome.Candidates.Where(c => c.WithinBudget), c => Assert.True(c.FlopsFraction >= chosen.FlopsFraction));
        Assert.All(outcome.Candidates.Where(c => c.FlopsFraction < chosen.FlopsFraction), c => Assert.False(c.WithinBudget));
        Assert.InRange(outcome.Candidates.Count, 2, 5);
        Assert.True(chosen.FlopsFraction < 0.9, $"chosen at {chosen.FlopsFraction:P1}");
        // Every candidate carries all its figures, not just the budget's.
        Assert.All(outcome.Candidates, c =>
        {
            Assert.Equal(c.Accuracy, c.Figure);
            Assert.Equal(outcome.Before.Accuracy!.Value - c.Figure, c.Drop, 9);
            Assert.InRange(Assert.Single(c.Agreement).Top1Agreement!.Value, 0, 1);
            Assert.Equal(c.FlopsFraction, (double)c.Flops / outcome.Before.Flops, 9);
        });
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void A_budget_job_fine_tunes_each_captured_network_once_when_one_removal_passes_several_sizes()
    {
        // Blocks of 8 of tiny_mlp's 32 first-layer units are a quarter of its FLOPs each: one removal passes 0.9 and 0.8,
        // the next 0.7, 0.6 and 0.5, the next 0.4, 0.35 and 0.3. Every candidate is within a drop of 0.5, so the bisection
        // runs down to the smallest network; sizes that share a network are one candidate, measured once.
        var target = new PruningTarget(null, null) { Budget = new QualityBudget(BudgetFigure.Accuracy, 0.5, CostMetric.Flops) };
        var progress = new RecordingProgress();
        var outcome = new PruningEngine(Settings).Run(Request(PruningMethod.Magnitude, target, Options with { Scope = "layer", ChannelMultiple = 8 }), progress, CancellationToken.None);

        var captured = progress.Logs.Where(l => l.StartsWith("Snapshot at", StringComparison.Ordinal)).ToList();
        Assert.True(captured.Count < BudgetSearch.Sizes.Count(s => s > 0.26), $"{captured.Count} networks captured: {string.Join(" | ", captured)}");
        var tried = outcome.Candidates!.Select(c => c.Flops).ToList();
        Assert.Equal(tried.Distinct().Count(), tried.Count);
        Assert.Equal(tried.Count, progress.Logs.Count(l => l.StartsWith("Candidate at", StringComparison.Ordinal) && l.Contains("fine-tuning", StringComparison.Ordinal)));
        var chosen = Assert.Single(outcome.Candidates!, c => c.Chosen);
        Assert.Equal(outcome.Candidates!.Min(c => c.Flops), chosen.Flops);
        Assert.InRange(chosen.FlopsFraction, 0.2, 0.3);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void An_agreement_budget_job_holds_top1_agreement_with_the_original_and_refuses_nothing_for_want_of_labels()
    {
        var target = new PruningTarget(null, null) { Budget = new QualityBudget(BudgetFigure.Agreement, 0.05, CostMetric.Flops) };
        var progress = new RecordingProgress();
        var outcome = new PruningEngine(Settings).Run(Request(PruningMethod.Magnitude, target, Options with { Scope = "layer" }), progress, CancellationToken.None);

        Assert.Equal(Objective.Both, outcome.Objective);
        var chosen = Assert.Single(outcome.Candidates!, c => c.Chosen);
        var agreement = Assert.Single(outcome.After.Agreement!).Top1Agreement!.Value;
        Assert.Equal(chosen.Figure, agreement, 6);
        Assert.True(agreement >= 0.95, $"top-1 agreement {agreement:P2}");
        Assert.All(outcome.Candidates!, c =>
        {
            Assert.Equal(1 - Assert.Single(c.Agreement).Top1Agreement!.Value, c.Drop, 9);
            Assert.Equal(c.Drop <= 0.05, c.WithinBudget);
            Assert.NotNull(c.Accuracy); // labelled data: accuracy is measured too
        });
        Assert.All(outcome.Candidates!.Where(c => c.FlopsFraction < chosen.FlopsFraction), c => Assert.False(c.WithinBudget));
        Assert.Contains(progress.Logs, l => l.Contains("top-1 agreement with the original", StringComparison.Ordinal));
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData(true)]
    [InlineData(false)]
    public void A_levels_or_budget_job_stopped_while_fine_tuning_a_later_size_resumes_there_and_ends_as_an_uninterrupted_run(bool levels)
    {
        // Fine-tuning 20 steps with a save every 10: the third save is halfway through the second network's fine-tuning.
        var options = Options with { CheckpointEverySteps = 10, Scope = "layer" };
        var target = levels ? Levels(0.7, 0.4) : new PruningTarget(null, null) { Budget = new QualityBudget(BudgetFigure.Accuracy, 0.03, CostMetric.Flops) };
        var uninterrupted = new PruningEngine(Settings).Run(Request(PruningMethod.Magnitude, target, options), new RecordingProgress(), CancellationToken.None);

        using var stop = new CancellationTokenSource();
        var store = new MemoryCheckpoints(stop, cancelAfter: 3);
        Assert.ThrowsAny<OperationCanceledException>(() => new PruningEngine(Settings).Run(Request(PruningMethod.Magnitude, target, options, store), new RecordingProgress(), stop.Token));

        var progress = new RecordingProgress();
        var resumed = new PruningEngine(Settings).Run(Request(PruningMethod.Magnitude, target, options, store.Reopened()), progress, CancellationToken.None);

        Assert.Contains(progress.Logs, l => l.StartsWith("Resumed from the checkpoint saved after fine-tuning step 10 ", StringComparison.Ordinal));
        Assert.DoesNotContain(progress.Logs, l => l.StartsWith("Snapshot at", StringComparison.Ordinal)); // the trajectory was not run again
        Assert.Equal(uninterrupted.WeightsSafetensors, resumed.WeightsSafetensors);
        Assert.Equal(uninterrupted.After with { LatencyMs = 0 }, resumed.After with { LatencyMs = 0 });
        if (levels)
        {
            Assert.Equal(uninterrupted.Levels!.Select(l => l.Network.WeightsSafetensors), resumed.Levels!.Select(l => l.Network.WeightsSafetensors));
            // The first level was finished before the stop and comes from the checkpoint, not from fine-tuning again.
            Assert.Single(progress.Logs, l => l.StartsWith("Level ", StringComparison.Ordinal) && l.Contains("fine-tuning", StringComparison.Ordinal));
        }
        else
        {
            Assert.Equal(uninterrupted.Candidates, resumed.Candidates);
        }
    }
}
