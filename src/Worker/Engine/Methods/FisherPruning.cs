using System.Runtime.InteropServices;
using Shears.Worker.Engine.Checkpoints;
using Shears.Worker.Engine.Training;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Methods;

/// <summary>
/// Fisher pruning (Theis, Korshunova, Tejani, Huszár 2018): train on the training split while
/// accumulating Δ_k (see <see cref="FisherSignal"/>); every <c>stepsPerPrune</c> steps remove the
/// channels minimising Δ_k + β·ΔC_k, where ΔC_k (≤ 0) is the cost change its removal causes in its own
/// layer and in every consumer, recomputed after every removal, as a fraction of the original cost (so β is the
/// paper's β times the original cost). Without β the ranking is Δ_k/|ΔC_k|, the loss increase per unit of cost
/// saved: the cost-normalised importance of Group Fisher (Liu et al. 2021), not one of Theis et al.'s β (their
/// parameter-free β_k = −Δ_k/ΔC_k makes the sum vanish for every channel and ranks nothing).
/// A group whose next allowed width is a block narrower (<c>channelMultiple</c>) is one candidate: its cheapest
/// channels of that block, with their Δ summed.
/// Then fine-tune with the removed channels masked.
/// A round removes every channel whose Δ was 0 over its steps, then the cheapest further channels its
/// <see cref="FisherRoundBudget"/> allows (by default a share of the remaining distance to the target, so the number
/// of rounds stays bounded whatever the width; <c>channelsPerPrune</c> sets a number instead), each chosen with ΔC
/// recomputed after the one before and Δ from the round's steps. Once the target is reached, removed channels the target
/// still has room for come back, the highest Δ per cost first (<see cref="TargetFill"/>).
/// </summary>
public static class FisherPruning
{
    /// <summary>
    /// The most steps Fisher's fine-tuning takes without a given length, below the other methods'
    /// <see cref="EarlyStopping.MostMaxSteps"/>: its rounds train the network as it shrinks, and issue 17 asks the default
    /// LeNet-5 job (to 25% of the FLOPs, 60,000 images) to take fewer steps in all than the 4,100 its rounds once took alone:
    /// 120 steps of rounds and at most 3,900 of fine-tuning (docs/defaults-bench.md).
    /// </summary>
    public const int MostFineTuningSteps = 3900;

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
    /// Rounds, then fine-tuning (at its upper bound when the job gave no length). The rounds are an estimate: at first the
    /// removals that would reach the target if every group shrank at the same pace, divided by <c>channelsPerPrune</c>;
    /// once a tenth of the way is done, the rounds so far scaled by the share of the way they covered. By default a round
    /// removes at least one channel or block, so the estimate is also capped by the rounds the round budget's schedule
    /// takes (<see cref="FisherRoundBudget.RoundsLeft"/>).
    /// </summary>
    public static void PlanSteps(PruningSession session)
    {
        var removals = (int)Math.Ceiling((double)session.Cost.ShrinkingEvenlyToTarget() / (session.Options.ChannelsPerPrune ?? 1));
        PlanRounds(session, session.Options.ChannelsPerPrune is null ? Math.Min(removals, FisherRoundBudget.RoundsLeft(0)) : removals);
        session.Progress.Plan.Plan(TrainingPhase.FineTuning, session.FineTuningStepsAtMost);
    }

    private static void EstimateRounds(PruningSession session, int roundsDone)
    {
        var covered = session.Cost.Progress;
        if (covered < 0.1 || session.Cost.TargetReached)
            return;
        var scaled = (int)Math.Ceiling(roundsDone / covered);
        PlanRounds(session, session.Options.ChannelsPerPrune is null ? Math.Min(scaled, roundsDone + FisherRoundBudget.RoundsLeft(covered)) : scaled);
    }

    private static void PlanRounds(PruningSession session, int rounds) =>
        session.Progress.Plan.Plan(TrainingPhase.FisherRounds, rounds * session.Options.StepsPerPrune);

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
        session.Progress.Log($"Fisher pruning reached the target after {rounds.Removals} channel removals in {rounds.Count} rounds ({FisherRoundBudget.Describe(options.ChannelsPerPrune)}, besides the channels whose Δ was 0) and {session.StepsTaken} steps; fine-tuning next.");
    }

    /// <summary>
    /// The end of a round: removes the channels whose Δ was 0 over the round, then as many more as the round's budget allows
    /// (<see cref="FisherRoundBudget"/>), cheapest first, and starts the next round's accumulation.
    /// </summary>
    private static void Decide(PruningSession session, Rounds rounds)
    {
        var options = session.Options;
        var deltas = rounds.Signal.Deltas();
        var budget = new FisherRoundBudget(session.Cost, options.ChannelsPerPrune);
        var removed = new List<string>();
        var dead = 0;
        while (!session.Cost.TargetReached && Choose(session, deltas, options.Beta, deadOnly: true) is { } candidate)
        {
            Remove(session, candidate);
            dead += candidate.Channels.Length;
        }
        while (budget.AllowsMore)
        {
            var candidate = Choose(session, deltas, options.Beta)
                ?? throw new PruningFailedException("Target unreachable: every prunable group is at its narrowest allowed width.");
            Remove(session, candidate);
            foreach (var channel in candidate.Channels)
                rounds.DeltaAtRemoval[candidate.Group][channel] = deltas[candidate.Group][channel];
            budget.Charge();
            removed.Add($"{session.Groups[candidate.Group].Name}[{string.Join(",", candidate.Channels)}] (Δ = {candidate.Delta:G3}; {session.Masks.KeptCount(candidate.Group)} of {session.Groups[candidate.Group].Channels} left)");
            rounds.Removals += candidate.Channels.Length;
        }
        rounds.Removals += dead;
        if (session.Cost.TargetReached && TargetFill.PutBack(session, rounds.DeltaAtRemoval) is var back and > 0)
        {
            session.Progress.Log($"Put back {back} removed channels the target still had room for (highest Δ per cost first).");
            rounds.Removals -= back;
        }
        rounds.Signal.Reset();
        rounds.Count++;
        var lossSum = rounds.LossSum;
        rounds.LossSum = 0;

        double? accuracy = rounds.Count % AccuracyInterval == 0 || session.Cost.TargetReached ? Evaluation.Accuracy(session.Module, session.Data) : null;
        EstimateRounds(session, rounds.Count);
        var deadNote = dead > 0 ? $"{dead} channels whose Δ was 0{(removed.Count > 0 ? ", " : "")}" : "";
        session.Progress.Report(lossSum / options.StepsPerPrune, accuracy,
            $"removed {deadNote}{string.Join(", ", removed.Take(3))}{(removed.Count > 3 ? $" and {removed.Count - 3} more" : "")}");
    }

    private static void Remove(PruningSession session, (int Group, int[] Channels, double Delta) candidate)
    {
        foreach (var channel in candidate.Channels)
            session.Remove(candidate.Group, channel);
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
    /// summed Δ against the cost their removal saves. With <paramref name="deadOnly"/> only candidates whose Δ is 0, the one
    /// saving the most first. A block that would take the cost further below the target than
    /// <see cref="CostTracker.TargetBand"/> is chosen only when no other removal is left (single channels are not held back:
    /// on the tiny MLP that pushed the last removals onto high-Δ units, 37.8% accuracy). Null when there is no such candidate.
    /// </summary>
    public static (int Group, int[] Channels, double Delta)? Choose(PruningSession session, double[][] deltas, double? beta, bool deadOnly = false) =>
        Choose(session, deltas, beta, deadOnly, withinBand: true) ?? Choose(session, deltas, beta, deadOnly, withinBand: false);

    private static (int Group, int[] Channels, double Delta)? Choose(PruningSession session, double[][] deltas, double? beta, bool deadOnly, bool withinBand)
    {
        (int Group, int[] Channels, double Delta)? best = null;
        var bestScore = double.PositiveInfinity;
        foreach (var group in session.Groups)
        {
            var count = session.Cost.ChannelsToShrink(group.Id);
            if (count == 0 || (withinBand && session.Cost.Overshoots(group.Id, count)))
                continue;
            var kept = session.Masks.Kept[group.Id];
            var cheapest = Enumerable.Range(0, group.Channels).Where(k => kept[k]).OrderBy(k => deltas[group.Id][k]).Take(count).ToArray();
            var delta = cheapest.Sum(k => deltas[group.Id][k]);
            if (deadOnly && delta != 0)
                continue;
            var costChange = session.Cost.CostChangeOfRemoving(group.Id, count);
            var score = deadOnly ? costChange : beta is { } b ? delta + b * costChange : costChange < 0 ? delta / -costChange : double.MaxValue;
            if (score < bestScore || best is null)
                (best, bestScore) = ((group.Id, cheapest, delta), score);
        }
        return best;
    }

    /// <summary>Where the rounds are: the Δ accumulated in the current round, its loss so far, and the rounds and removals done.</summary>
    private sealed class Rounds(FisherSignal signal) : ICheckpointed, IDisposable
    {
        public FisherSignal Signal { get; } = signal;

        /// <summary>Per channel, its Δ in the round that removed it (0 while kept, and for channels removed with Δ 0): a masked channel's Δ is 0.</summary>
        public double[][] DeltaAtRemoval { get; } = [.. signal.Groups.Select(g => new double[g.Channels])];

        public int Count { get; set; }

        public int Removals { get; set; }

        public double LossSum { get; set; }

        public void Save(CheckpointData data)
        {
            Signal.Save(data);
            for (var group = 0; group < DeltaAtRemoval.Length; group++)
                data.PutBytes($"fisher/delta-at-removal/{group}", MemoryMarshal.AsBytes(DeltaAtRemoval[group].AsSpan()).ToArray());
            data.Counters["fisher/rounds"] = Count;
            data.Counters["fisher/removals"] = Removals;
            data.Numbers["fisher/round-loss-sum"] = LossSum;
        }

        public void Restore(CheckpointData data)
        {
            Signal.Restore(data);
            for (var group = 0; group < DeltaAtRemoval.Length; group++)
                if (data.Has($"fisher/delta-at-removal/{group}"))
                    MemoryMarshal.Cast<byte, double>(data.Bytes($"fisher/delta-at-removal/{group}")).CopyTo(DeltaAtRemoval[group]);
            Count = (int)data.Counter("fisher/rounds");
            Removals = (int)data.Counter("fisher/removals");
            LossSum = data.Number("fisher/round-loss-sum");
        }

        public void Dispose() => Signal.Dispose();
    }
}
