using Shears.Domain.Graph;
using Shears.Worker.Engine.Training;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Methods;

/// <summary>
/// The baseline: score each channel by the L1 or L2 norm of the weights that produce it, remove the
/// lowest-scoring channels until the target is reached, then fine-tune with them masked.
/// Scope "global" ranks all channels together by norm per unit of cost, as Fisher ranks by Δ/|ΔC|: each group's
/// norms divided by the group's mean (raw norms are not comparable across layers of different fan-in), then by the
/// share of the target's cost the group's next removal saves (one channel, or a block of the lowest-scoring ones when the
/// group steps by <c>channelMultiple</c>), recomputed after every removal; a block that would take the cost further below
/// the target than <see cref="CostTracker.TargetBand"/> waits while a smaller removal can reach it, and what the target
/// still has room for comes back at the end (<see cref="TargetFill"/>). Without the cost a
/// layer whose channels save little (a narrow hidden layer after a wide one) is emptied for nothing: the tiny MLP
/// pruned to half its FLOPs that way fell from 85% to 14%. Scope "layer" shrinks every group by the same fraction.
/// </summary>
public static class MagnitudePruning
{
    /// <summary>Magnitude removes in one pass; only its fine-tuning takes steps.</summary>
    public static void PlanSteps(PruningSession session) => session.Progress.Plan.Plan(TrainingPhase.FineTuning, session.FineTuningStepsAtMost);

    public static void Run(PruningSession session)
    {
        session.Cost.EnsureReachable();
        if (!session.Checkpoints.ResumesIn(TrainingPhase.FineTuning))
            Prune(session);
        FineTuning.Run(session, session.FineTuningSteps);
    }

    /// <summary>The removals alone, to the target, without fine-tuning (a levels or budget job fine-tunes its snapshots).</summary>
    public static void Prune(PruningSession session)
    {
        session.Cost.EnsureReachable();
        session.Progress.Plan.Enter("pruning");
        var scores = session.Groups.Select(g => ChannelNorms(session, g, session.Options.Norm == "l2")).ToArray();
        if (session.Options.Scope == "layer")
            RemoveLayerByLayer(session, scores);
        else
            RemoveGlobally(session, scores);
        session.Progress.Report(loss: null, Evaluation.Accuracy(session.Module, session.Data), $"removed channels by {session.Options.Norm} norm ({session.Options.Scope}); fine-tuning");
    }

    /// <summary>Per channel, the norm over every Producer slice (PassThrough when a group has none).</summary>
    public static double[] ChannelNorms(PruningSession session, ChannelGroup group, bool l2)
    {
        var role = group.Members.Any(m => m.Role == SliceRole.Producer) ? SliceRole.Producer : SliceRole.PassThrough;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var total = zeros(group.Channels, dtype: ScalarType.Float64, device: session.Module.Device);
        foreach (var slice in group.Members.Where(m => m.Role == role))
        {
            if (!session.Module.Parameters.TryGetValue(slice.Initializer, out var weight))
                continue;
            var rows = weight.narrow(slice.Axis, slice.Offset, (long)group.Channels * slice.BlockSize)
                .transpose(0, slice.Axis).reshape(group.Channels, -1).to_type(ScalarType.Float64);
            total.add_(l2 ? rows.square().sum(1L) : rows.abs().sum(1L), LiveScalars.One);
        }
        return (l2 ? total.sqrt() : total).cpu().data<double>().ToArray();
    }

    private static void RemoveGlobally(PruningSession session, double[][] scores)
    {
        var normalized = scores.Select(Normalized).ToArray();
        var queues = Queues(session, scores);
        while (!session.Cost.TargetReached)
        {
            var candidates = session.Groups.Where(g => session.Cost.CanShrink(g.Id)).ToList();
            var withinBand = candidates.Where(g => !session.Cost.Overshoots(g.Id, session.Cost.ChannelsToShrink(g.Id))).ToList();
            var next = (withinBand.Count > 0 ? withinBand : candidates)
                .MinBy(g => ScorePerCost(session, g.Id, queues[g.Id].Take(session.Cost.ChannelsToShrink(g.Id)).Sum(k => normalized[g.Id][k])))
                ?? throw Unreachable;
            RemoveNextBlock(session, next.Id, queues[next.Id]);
        }
        if (TargetFill.PutBack(session, normalized) is var back and > 0)
            session.Progress.Log($"Put back {back} removed channels the target still had room for (highest norm per cost first).");
    }

    /// <summary>The summed normalised norm of a group's next block per share of the target's cost its removal saves.</summary>
    private static double ScorePerCost(PruningSession session, int group, double score) =>
        session.Cost.CostChangeOfRemoving(group, session.Cost.ChannelsToShrink(group)) is var saved and < 0 ? score / -saved : double.MaxValue;

    private static void RemoveLayerByLayer(PruningSession session, double[][] scores)
    {
        var queues = Queues(session, scores);
        while (!session.Cost.TargetReached)
        {
            var next = session.Groups.Where(g => session.Cost.CanShrink(g.Id))
                .MaxBy(g => (double)session.Cost.KeptChannels[g.Id] / g.Channels)
                ?? throw Unreachable;
            RemoveNextBlock(session, next.Id, queues[next.Id]);
        }
    }

    /// <summary>Removes a group's lowest-scoring channels down to its next allowed width (one channel, or a block with <c>channelMultiple</c>).</summary>
    private static void RemoveNextBlock(PruningSession session, int group, Queue<int> queue)
    {
        for (var count = session.Cost.ChannelsToShrink(group); count > 0; count--)
            session.Remove(group, queue.Dequeue());
    }

    /// <summary>Per group, its channels from the lowest score up.</summary>
    private static Queue<int>[] Queues(PruningSession session, double[][] scores) =>
        [.. session.Groups.Select(g => new Queue<int>(Enumerable.Range(0, g.Channels).OrderBy(k => scores[g.Id][k])))];

    private static PruningFailedException Unreachable => new("Target unreachable: every prunable group is at its narrowest allowed width.");

    private static double[] Normalized(double[] scores)
    {
        var mean = scores.Average();
        return mean > 0 ? [.. scores.Select(s => s / mean)] : scores;
    }
}
