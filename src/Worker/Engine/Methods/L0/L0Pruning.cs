using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Worker.Engine.Training;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Methods.L0;

/// <summary>
/// L0 regularisation (Louizos, Welling &amp; Kingma 2018): one hard-concrete gate per channel of every
/// group, sampled once per mini-batch, trained jointly with the weights against the cross-entropy plus
/// an expected-cost penalty. The expected cost counts what each gate's group really removes
/// (parameters, or FLOPs for a FLOPs target; see <see cref="ExpectedCost"/>), the paper's group form.
/// <list type="bullet">
/// <item>With a target, λ is a dual variable: it grows while the expected cost is above the target and
/// shrinks below it, so nobody has to guess λ.</item>
/// <item>Without one, the penalty is the paper's λ/N · E[cost] with the job's <c>lambda</c>.</item>
/// </list>
/// At the end, channels whose test-time gate ẑ is 0 are removed; if the target is still not met the
/// lowest log α go next (the final projection is reported). Fractional gates 0 &lt; ẑ &lt; 1 are folded
/// into the consumers' weights, so the shrunk network computes what the gated one did; then the
/// weights are fine-tuned with the gates frozen.
/// </summary>
public static class L0Pruning
{
    /// <summary>
    /// Gate training without a given length runs an epoch, and at least this many steps: gates start nearly open and need
    /// a few hundred steps to travel to closed and let the weights adapt (one epoch of 6,000 images, 54 steps, closed none
    /// and the final projection fell back to removing channels almost at random).
    /// </summary>
    public const int MinimumGateSteps = 300;

    /// <summary>Fine-tuning with frozen gates takes this share of the job's steps.</summary>
    private const double FineTuningShare = 0.2;

    public static void Run(PruningSession session)
    {
        var target = session.Cost.TargetFraction;
        if (target is not null && session.Options.Granularity != "weight")
            session.Cost.EnsureReachable();
        if (session.Options.Lambda is null && target is null)
            throw new PruningFailedException("An l0 job needs a target (target.flops or target.params) or options.lambda.");

        var (gateSteps, fineTuningSteps) = Steps(session);
        if (session.Options.Granularity == "weight")
        {
            L0WeightPruning.Run(session, target, gateSteps, fineTuningSteps);
            return;
        }
        if (!session.Checkpoints.ResumesIn(TrainingPhase.FineTuning))
        {
            using var expected = ExpectedCost.Fit(session.Groups, session.Cost.TargetCostOf);
            using var gates = new L0Gates(session, new HardConcrete(session.Options.GateTemperature));
            TrainGates(session, new ChannelGateSet(gates, expected), target, gateSteps);
            RemoveClosedChannels(session, gates);
        }
        FineTuning.Run(session, fineTuningSteps);
    }

    /// <summary>
    /// Gate training, then fine-tuning with frozen gates: the job's steps split <see cref="FineTuningShare"/> to the latter;
    /// without a given length the gates train for one epoch and fine-tuning runs until the held-out accuracy stops
    /// improving (planned at its upper bound).
    /// </summary>
    public static void PlanSteps(PruningSession session)
    {
        var (gateSteps, fineTuningSteps) = Steps(session);
        session.Progress.Plan.Plan(TrainingPhase.L0Gates, gateSteps);
        session.Progress.Plan.Plan(TrainingPhase.FineTuning, fineTuningSteps ?? session.FineTuningStepsAtMost);
    }

    internal static (int GateSteps, int? FineTuningSteps) Steps(PruningSession session)
    {
        if (session.FineTuningSteps is not { } totalSteps)
            return (Math.Max(MinimumGateSteps, session.Data.StepsPerEpoch), null);
        var fineTuningSteps = (int)Math.Round(totalSteps * FineTuningShare);
        return (Math.Max(1, totalSteps - fineTuningSteps), fineTuningSteps);
    }

    /// <param name="afterStep">Called after every step (a levels or budget job's stops are taken there).</param>
    internal static void TrainGates(PruningSession session, IL0GateSet gates, double? target, int steps, Action<int>? afterStep = null)
    {
        using var training = new L0GateTraining(session, gates, target, steps);
        var interval = Math.Max(1, steps / 20);
        var ran = PhaseLoop.Run(session, TrainingPhase.L0Gates, training, step => step <= steps && !(step > 1 && training.ExpectedCostReachedTarget), step =>
        {
            var loss = training.Step(step);
            afterStep?.Invoke(step);
            if (step % interval == 0 || step == steps)
            {
                var accuracy = step == steps || step % (interval * 5) == 0 ? gates.AccuracyWithTestTimeGates() : (double?)null;
                session.Progress.Report(loss, accuracy, $"l0 step {step}/{steps}: expected cost {training.ExpectedFraction:P1}, λ {training.Lambda:G3}, {gates.DescribeOpen()}");
            }
            return false;
        });
        if (ran < steps)
            session.Progress.Log($"l0: the expected cost reached the target after {ran} of {steps} gate-training steps; gate training ends there.");
        session.Progress.Plan.Plan(TrainingPhase.L0Gates, ran);
        session.StepsTaken += ran;
    }

    /// <summary>
    /// Without a target every channel whose test-time gate ẑ is 0 goes. With one, channels go in
    /// ascending log α — closed gates first, since ẑ rises with log α — until the target is met, so the
    /// result lands on the target even when the controller closed a few gates too many; such gates
    /// are reopened at 1 and fine-tuning takes them back in. Kept fractional gates fold into the consumers'
    /// weights, which is exact because a gate scales only what its consumer reads (<see cref="Graph.ChannelGates"/>).
    /// Returns the gates the network now carries (0 removed, 1 kept, ẑ folded), which the shrunk network computes exactly.
    /// <paramref name="target"/>: a fraction of the target's metric to project to instead of the session's target (a levels or
    /// budget job's stop).
    /// </summary>
    internal static float[][] RemoveClosedChannels(PruningSession session, L0Gates gates, double? target = null)
    {
        var aim = target ?? session.Cost.TargetFraction;
        Func<bool> reached = target is { } stop
            ? () => session.Cost.Fraction(session.Cost.HasFlopsTarget ? CostMetric.Flops : CostMetric.Params) <= stop
            : () => session.Cost.TargetReached;
        var testTime = gates.TestTimeGates();
        var logAlpha = gates.LogAlphaValues();
        var byLogAlpha = session.Groups
            .SelectMany(g => Enumerable.Range(0, g.Channels).Select(k => (Group: g.Id, Channel: k)))
            .OrderBy(c => logAlpha[c.Group][c.Channel])
            .ToList();

        gates.RestoreMasks();
        var chosen = aim is { } fraction
            ? ChannelsForTarget(session, byLogAlpha, fraction)
            : byLogAlpha.TakeWhile(c => testTime[c.Group][c.Channel] == 0f);
        foreach (var (group, channel) in AtAllowedWidths(session, chosen))
            session.Remove(group, channel);
        foreach (var (group, _) in byLogAlpha.Where(c => session.Masks.Kept[c.Group][c.Channel]))
        {
            if (aim is null || reached())
                break;
            foreach (var channel in byLogAlpha.Where(c => c.Group == group && session.Masks.Kept[group][c.Channel])
                         .Take(session.Cost.ChannelsToShrink(group)).Select(c => c.Channel).ToList())
                session.Remove(group, channel);
        }

        var closed = testTime.Sum(z => z.Count(v => v == 0f));
        var removed = session.Masks.RemovedChannels().Sum(r => r.Count);
        var reopened = 0;
        foreach (var group in session.Groups)
        {
            var z = testTime[group.Id];
            for (var k = 0; k < z.Length; k++)
            {
                if (!session.Masks.Kept[group.Id][k])
                    z[k] = 0f;
                else if (z[k] == 0f)
                {
                    z[k] = 1f;
                    reopened++;
                }
            }
        }

        FoldFractionalGates(session, testTime);
        session.Progress.Log($"l0: {closed} gates closed (ẑ = 0); removed {removed} channels ({removed - (closed - reopened)} open ones with the lowest log α, " +
            $"{reopened} closed ones reopened to stay at the target); " +
            $"FLOPs {session.Cost.FlopsFraction:P1}, params {session.Cost.ParamsFraction:P1} of the original.");
        return testTime;
    }

    /// <summary>
    /// The planned removals (in ascending log α) that leave each group at an allowed width (<c>minWidth</c>,
    /// <c>channelMultiple</c>): a group keeps its most open planned channels up to the next allowed width above the plan's.
    /// </summary>
    private static IEnumerable<(int Group, int Channel)> AtAllowedWidths(PruningSession session, IEnumerable<(int Group, int Channel)> planned) =>
        planned.GroupBy(c => c.Group).SelectMany(byGroup =>
        {
            var channels = session.Groups[byGroup.Key].Channels;
            var width = session.Cost.AllowedWidthAtLeast(byGroup.Key, channels - byGroup.Count());
            return byGroup.Take(channels - width);
        });

    /// <summary>
    /// The channels to remove for the target, planned on the cost model at the widths the groups will have
    /// (<see cref="AtAllowedWidths"/> rounds each group up to an allowed width): in ascending log α until the
    /// target's cost is met, passing over a channel whose group would then round down a block that takes the cost more
    /// than <see cref="CostTracker.TargetBand"/> below the target (unless the target is out of reach without); then, if one
    /// wide channel or block still took it below, the most open of the planned channels are put back while the cost stays within it.
    /// Planning on unrounded widths left the rounded network above the target, and the block then taken to reach it
    /// overshot: LeNet-5 asked for 50% of the FLOPs ended at 30.2%.
    /// </summary>
    private static List<(int Group, int Channel)> ChannelsForTarget(PruningSession session, IEnumerable<(int Group, int Channel)> byLogAlpha, double target)
    {
        var kept = session.Groups.ToDictionary(g => g.Id, g => g.Channels);
        var full = (double)session.Cost.TargetCostOf(kept);
        double Fraction() => session.Cost.TargetCostOf(kept.ToDictionary(p => p.Key, p => session.Cost.AllowedWidthAtLeast(p.Key, p.Value))) / full;

        List<(int Group, int Channel)> Plan(bool withinBand)
        {
            foreach (var group in session.Groups)
                kept[group.Id] = group.Channels;
            var plan = new List<(int Group, int Channel)>();
            foreach (var (group, channel) in byLogAlpha)
            {
                if (Fraction() <= target)
                    break;
                if (kept[group] <= 1)
                    continue;
                kept[group]--;
                var blockJump = session.Cost.AllowedWidthAtLeast(group, kept[group] + 1) - session.Cost.AllowedWidthAtLeast(group, kept[group]) > 1;
                if (withinBand && blockJump && Fraction() < target * (1 - CostTracker.TargetBand))
                    kept[group]++;
                else
                    plan.Add((group, channel));
            }
            return plan;
        }

        var plan = Plan(withinBand: true);
        if (Fraction() > target)
            plan = Plan(withinBand: false);
        for (var i = plan.Count - 1; i >= 0 && Fraction() < target * (1 - CostTracker.TargetBand); i--)
        {
            kept[plan[i].Group]++;
            if (Fraction() <= target)
                plan.RemoveAt(i);
            else
                kept[plan[i].Group]--;
        }
        return plan;
    }

    /// <summary>Multiplies each kept channel's Consumer slices by its ẑ: W·(ẑ⊙x) = (W·diag ẑ)·x, exactly what the gate on the consumer's read computed.</summary>
    private static void FoldFractionalGates(PruningSession session, float[][] testTime)
    {
        using var noGrad = no_grad();
        foreach (var group in session.Groups)
        {
            var z = testTime[group.Id];
            if (z.All(v => v == 1f || v == 0f))
                continue;
            foreach (var slice in group.Members.Where(m => m.Role == SliceRole.Consumer))
            {
                if (!session.Module.Parameters.TryGetValue(slice.Initializer, out var weight))
                    continue;
                using var scope = NewDisposeScope();
                var shape = Enumerable.Repeat(1L, (int)weight.dim()).ToArray();
                shape[slice.Axis] = (long)group.Channels * slice.BlockSize;
                var scale = tensor(z, device: weight.device).repeat_interleave(slice.BlockSize).view(shape);
                weight.narrow(slice.Axis, slice.Offset, shape[slice.Axis]).mul_(scale);
            }
        }
    }
}
