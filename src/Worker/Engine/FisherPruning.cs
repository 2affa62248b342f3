using static TorchSharp.torch;

namespace Shears.Worker.Engine;

/// <summary>
/// Fisher pruning (Theis, Korshunova, Tejani, Huszár 2018): train on the training split while
/// accumulating Δ_k (see <see cref="FisherSignal"/>); every <c>stepsPerPrune</c> steps remove the one
/// channel minimising Δ_k + β·ΔC_k, where ΔC_k (≤ 0) is the cost change its removal causes in its own
/// layer and in every consumer, recomputed after every removal, as a fraction of the original cost (so β is the
/// paper's β times the original cost). Without β the ranking is Δ_k/|ΔC_k|, the loss increase per unit of cost
/// saved: the cost-normalised importance of Group Fisher (Liu et al. 2021), not one of Theis et al.'s β (their
/// parameter-free β_k = −Δ_k/ΔC_k makes the sum vanish for every channel and ranks nothing).
/// A group whose next allowed width is a block narrower (<c>channelMultiple</c>) is one candidate: its cheapest
/// channels of that block, with their Δ summed.
/// Then fine-tune with the removed channels masked.
/// With <c>channelsPerPrune</c> above 1 a round removes that many channels, each chosen with ΔC
/// recomputed after the one before and Δ from the round's steps (large networks need this to reach a
/// target in a reasonable number of steps).
/// </summary>
public static class FisherPruning
{
    /// <summary>Held-out accuracy is measured after every this many removals.</summary>
    private const int AccuracyInterval = 25;

    public static void Run(PruningSession session)
    {
        session.Cost.EnsureReachable();
        if (!session.Checkpoints.ResumesIn(TrainingPhase.FineTuning))
            RunRounds(session);
        FineTuning.Run(session, session.FineTuningSteps);
    }

    /// <summary>The rounds alone, to the target, without fine-tuning (a levels or budget job fine-tunes its snapshots).</summary>
    public static void Prune(PruningSession session)
    {
        session.Cost.EnsureReachable();
        RunRounds(session);
    }

    /// <summary>
    /// Rounds, then fine-tuning. The rounds are an estimate: at first the rounds that would reach the target if every
    /// group shrank at the same pace; once a tenth of the way is done, the rounds so far scaled by the share of the way
    /// they covered.
    /// </summary>
    public static void PlanSteps(PruningSession session)
    {
        var rounds = (int)Math.Ceiling((double)session.Cost.ShrinkingEvenlyToTarget() / session.Options.ChannelsPerPrune);
        session.Progress.Plan.Plan(TrainingPhase.FisherRounds, rounds * session.Options.StepsPerPrune);
        session.Progress.Plan.Plan(TrainingPhase.FineTuning, session.FineTuningSteps);
    }

    private static void EstimateRounds(PruningSession session, int roundsDone)
    {
        var covered = session.Cost.Progress;
        if (covered >= 0.1 && !session.Cost.TargetReached)
            session.Progress.Plan.Plan(TrainingPhase.FisherRounds, (int)Math.Ceiling(roundsDone / covered) * session.Options.StepsPerPrune);
    }

    /// <summary>Accumulates Δ and removes channels every <c>stepsPerPrune</c> steps until the target is reached.</summary>
    private static void RunRounds(PruningSession session)
    {
        var options = session.Options;
        using var rounds = new Rounds(new FisherSignal(session.Gates));
        session.Gates.CaptureGradients = true;
        try
        {
            PhaseLoop.Run(session, TrainingPhase.FisherRounds, rounds, _ => !session.Cost.TargetReached, step =>
            {
                rounds.LossSum += Step(session, rounds.Signal);
                if (step % options.StepsPerPrune != 0)
                    return false;
                session.StepsTaken += options.StepsPerPrune;
                Decide(session, rounds);
                return true;
            }, saveAtDecisions: options.StepsPerPrune <= session.Checkpoints.Every);
        }
        finally
        {
            session.Gates.CaptureGradients = false;
        }
        session.Progress.Log($"Fisher pruning reached the target after {rounds.Removals} removals in {rounds.Count} rounds ({options.ChannelsPerPrune} a round) and {session.StepsTaken} steps; fine-tuning for {session.FineTuningSteps} steps.");
    }

    /// <summary>The end of a round: removes the channels its Δ ranks cheapest and starts the next round's accumulation.</summary>
    private static void Decide(PruningSession session, Rounds rounds)
    {
        var options = session.Options;
        var deltas = rounds.Signal.Deltas();
        var removed = new List<string>();
        for (var i = 0; i < options.ChannelsPerPrune && !session.Cost.TargetReached; i++)
        {
            var (group, channels, delta) = Choose(session, deltas, options.Beta);
            foreach (var channel in channels)
                session.Remove(group, channel);
            rounds.Removals += channels.Length;
            removed.Add($"{session.Groups[group].Name}[{string.Join(",", channels)}] (Δ = {delta:G3}; {session.Masks.KeptCount(group)} of {session.Groups[group].Channels} left)");
        }
        rounds.Signal.Reset();
        rounds.Count++;
        var lossSum = rounds.LossSum;
        rounds.LossSum = 0;

        double? accuracy = rounds.Count % AccuracyInterval == 0 || session.Cost.TargetReached ? Evaluation.Accuracy(session.Module, session.Data) : null;
        EstimateRounds(session, rounds.Count);
        session.Progress.Report(lossSum / options.StepsPerPrune, accuracy, $"removed {string.Join(", ", removed.Take(3))}{(removed.Count > 3 ? $" and {removed.Count - 3} more" : "")}");
    }

    /// <summary>One training step that also accumulates the Fisher signal (gradients captured at the gates); returns the loss.</summary>
    public static float Step(PruningSession session, FisherSignal signal)
    {
        using var scope = NewDisposeScope();
        var batch = session.Data.NextTrainBatch();
        var batchSize = batch.Size;
        return session.Trainer.Step(batch, () => signal.Accumulate(batchSize, lossScale: batchSize));
    }

    /// <summary>
    /// The removal with the smallest pruning cost: in every group that can still shrink, its lowest-Δ kept channels, as many
    /// as take it to its next allowed width (one, unless <c>channelMultiple</c> asks for a whole block), scored by their
    /// summed Δ against the cost their removal saves.
    /// </summary>
    public static (int Group, int[] Channels, double Delta) Choose(PruningSession session, double[][] deltas, double? beta)
    {
        var best = (Group: -1, Channels: Array.Empty<int>(), Delta: 0.0);
        var bestScore = double.PositiveInfinity;
        foreach (var group in session.Groups)
        {
            var count = session.Cost.ChannelsToShrink(group.Id);
            if (count == 0)
                continue;
            var costChange = session.Cost.CostChangeOfRemoving(group.Id, count);
            var kept = session.Masks.Kept[group.Id];
            var cheapest = Enumerable.Range(0, group.Channels).Where(k => kept[k]).OrderBy(k => deltas[group.Id][k]).Take(count).ToArray();
            var delta = cheapest.Sum(k => deltas[group.Id][k]);
            var score = beta is { } b ? delta + b * costChange : costChange < 0 ? delta / -costChange : double.MaxValue;
            if (score < bestScore || best.Group < 0)
                (best, bestScore) = ((group.Id, cheapest, delta), score);
        }
        return best.Group >= 0 ? best : throw new PruningFailedException("Target unreachable: every prunable group is at its narrowest allowed width.");
    }

    /// <summary>Where the rounds are: the Δ accumulated in the current round, its loss so far, and the rounds and removals done.</summary>
    private sealed class Rounds(FisherSignal signal) : ICheckpointed, IDisposable
    {
        public FisherSignal Signal { get; } = signal;

        public int Count { get; set; }

        public int Removals { get; set; }

        public double LossSum { get; set; }

        public void Save(CheckpointData data)
        {
            Signal.Save(data);
            data.Counters["fisher/rounds"] = Count;
            data.Counters["fisher/removals"] = Removals;
            data.Numbers["fisher/round-loss-sum"] = LossSum;
        }

        public void Restore(CheckpointData data)
        {
            Signal.Restore(data);
            Count = (int)data.Counter("fisher/rounds");
            Removals = (int)data.Counter("fisher/removals");
            LossSum = data.Number("fisher/round-loss-sum");
        }

        public void Dispose() => Signal.Dispose();
    }
}
