using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Engine.Methods;
using Shears.Worker.Engine.Runtime;

namespace Shears.Worker.Engine;

/// <summary>
/// The network's cost as channels are removed, against the job's target: FLOPs and parameters of
/// the current pruning state from the Domain <see cref="CostModel"/>, and what removing one more
/// channel of a group would save (its own layer and every consumer). Also which widths a group may take: none
/// below the job's <c>minWidth</c>, and with a group's <c>channelMultiple</c> m only multiples of m, or widths below m
/// where the group's <see cref="WidthStep"/> allows them (<see cref="ChannelMultiples"/>).
/// </summary>
public sealed class CostTracker
{
    private readonly CostModel model;
    private readonly IReadOnlyList<ChannelGroup> groups;
    private readonly PruningTarget target;
    private readonly Dictionary<int, int> kept;
    private readonly Dictionary<int, int> floor;
    private readonly Dictionary<int, WidthStep> steps;
    private LatencyProfile? latency;
    private bool traffic;
    private readonly OnnxGraph graph;

    public CostTracker(OnnxGraph graph, IReadOnlyList<ChannelGroup> groups, PruningTarget target, double minWidth = 0, Func<ChannelGroup, WidthStep>? widthStep = null)
    {
        model = CostModel.For(graph, groups);
        this.graph = graph;
        this.groups = groups;
        this.target = target;
        steps = groups.ToDictionary(g => g.Id, g => widthStep?.Invoke(g) ?? new WidthStep(1));
        kept = groups.ToDictionary(g => g.Id, g => g.Channels);
        floor = groups.ToDictionary(g => g.Id, g => Math.Max(1, (int)Math.Ceiling(minWidth * g.Channels - 1e-9)));
        Original = model.Measure(null);
        Current = Original;
        if (Original.Flops == 0 && target.Flops is not null)
            throw new PruningFailedException("The network has no counted FLOPs (no Conv/Gemm/MatMul with weights); use a params target.");
    }

    /// <summary>
    /// The job's tracker: widths by <c>minWidth</c> and <see cref="ChannelMultiples"/>; when the default whole CPU blocks
    /// cannot reach the target, widths below one block are allowed as well.
    /// </summary>
    public static CostTracker ForJob(OnnxGraph graph, IReadOnlyList<ChannelGroup> groups, PruningTarget target, PruningOptions options)
    {
        var steps = ChannelMultiples.For(graph, options.ChannelMultiple);
        var tracker = new CostTracker(graph, groups, target, options.MinWidth, steps);
        return tracker.CanReachTarget ? tracker : new CostTracker(graph, groups, target, options.MinWidth, ChannelMultiples.BelowOneStep(steps));
    }

    public CostMeasurement Original { get; }

    public CostMeasurement Current { get; private set; }

    public double FlopsFraction => Original.Flops == 0 ? 1 : (double)Current.Flops / Original.Flops;

    public double ParamsFraction => Original.Params == 0 ? 1 : (double)Current.Params / Original.Params;

    public IReadOnlyDictionary<int, int> KeptChannels => kept;

    public bool TargetReached =>
        (target.Flops is not { } f || FlopsFraction <= f) && (target.Params is not { } p || ParamsFraction <= p);

    /// <summary>How far from the original towards the target, 0..1 (by the metric furthest from its target).</summary>
    public double Progress
    {
        get
        {
            var flops = target.Flops is { } f ? (1 - FlopsFraction) / (1 - f) : 1;
            var parameters = target.Params is { } p ? (1 - ParamsFraction) / (1 - p) : 1;
            return Math.Clamp(Math.Min(flops, parameters), 0, 1);
        }
    }

    public bool HasFlopsTarget => target.Flops is not null;

    /// <summary>The fraction the job aims at: FLOPs when a FLOPs target is set, else parameters; null without a target.</summary>
    public double? TargetFraction => target.Flops ?? target.Params;

    /// <summary>
    /// How far below the target a block's removal may take the cost: a block whose removal would land further below (16 of a
    /// 32-wide group on the small ResNet took magnitude from 55% to 40% of the FLOPs for a 50% target) is left while another
    /// removal can still reach the target. Single channels are not held back.
    /// </summary>
    public const double TargetBand = 0.05;

    /// <summary>Whether removing a block of <paramref name="channels"/> (more than one) of the group would take the cost more than <see cref="TargetBand"/> below the target.</summary>
    public bool Overshoots(int groupId, int channels)
    {
        if (channels <= 1)
            return false;
        kept[groupId] -= channels;
        var after = TargetCostOf(kept);
        kept[groupId] += channels;
        return TargetFraction is { } fraction && after < (1 - TargetBand) * fraction * (target.Flops is not null ? Original.Flops : Original.Params);
    }

    /// <summary>Whether the target would still be reached with <paramref name="channels"/> of the group's removed channels back.</summary>
    public bool StillReachedWithBack(int groupId, int channels)
    {
        kept[groupId] += channels;
        var reached = Reaches(model.Measure(kept));
        kept[groupId] -= channels;
        return reached;
    }

    /// <summary>The cost the target counts (FLOPs for a FLOPs target, else parameters) of a hypothetical pruning state.</summary>
    public long TargetCostOf(IReadOnlyDictionary<int, int> keptChannels)
    {
        var cost = model.Measure(keptChannels);
        return target.Flops is not null ? cost.Flops : cost.Params;
    }

    /// <summary>The narrowest allowed width of the group that is not below <paramref name="width"/>.</summary>
    public int AllowedWidthAtLeast(int groupId, int width)
    {
        var allowed = groups[groupId].Channels;
        while (NextWidth(groupId, allowed) is { } next && next >= width)
            allowed = next;
        return allowed;
    }

    public bool CanShrink(int groupId) => ChannelsToShrink(groupId) > 0;

    /// <summary>How many channels group <paramref name="groupId"/> loses in one go to reach its next allowed width (0: it cannot shrink).</summary>
    public int ChannelsToShrink(int groupId) => NextWidth(groupId, kept[groupId]) is { } next ? kept[groupId] - next : 0;

    /// <summary>The widest allowed width below <paramref name="width"/>, or null when the group is at its narrowest.</summary>
    public int? NextWidth(int groupId, int width)
    {
        var (step, belowStep) = steps[groupId];
        var next = width - 1 < step && belowStep ? width - 1 : (width - 1) / step * step;
        return next >= floor[groupId] ? next : null;
    }

    /// <summary>
    /// From now on <see cref="CostChangeOfRemoving"/> counts FLOPs plus the activation elements the layers move, each worth
    /// <see cref="TrafficCost.FlopsPerElement"/> FLOPs (<see cref="TrafficCost"/>), instead of FLOPs alone (a params target
    /// still counts parameters).
    /// </summary>
    public void RankByTraffic() => traffic = true;

    /// <summary>From now on <see cref="CostChangeOfRemoving"/> counts measured latency instead of the target's cost.</summary>
    public void RankByLatency(LatencyProfile profile)
    {
        latency = profile;
        latency.UpdateIfDue(kept, CurrentTargetFraction, NextWidth);
    }

    private double CurrentTargetFraction => HasFlopsTarget ? FlopsFraction : ParamsFraction;

    /// <summary>
    /// The change (≤ 0) in the target's cost — FLOPs, or parameters for a params-only target; FLOPs and activation traffic
    /// after <see cref="RankByTraffic"/>; measured latency after <see cref="RankByLatency"/> — if group <paramref name="groupId"/> lost <paramref name="channels"/>
    /// more channels, as a fraction of the original cost.
    /// </summary>
    public double CostChangeOfRemoving(int groupId, int channels = 1)
    {
        if (latency is not null)
        {
            latency.UpdateIfDue(kept, CurrentTargetFraction, NextWidth);
            return channels * latency.CostChangeOfRemoving(groupId);
        }
        kept[groupId] -= channels;
        var after = model.Measure(kept);
        kept[groupId] += channels;
        if (traffic && target.Flops is not null)
            return (TrafficCost.Of(after) - TrafficCost.Of(Current)) / Math.Max(1, TrafficCost.Of(Original));
        return target.Flops is not null || Original.Params == 0
            ? (double)(after.Flops - Current.Flops) / Math.Max(1, Original.Flops)
            : (double)(after.Params - Current.Params) / Original.Params;
    }

    /// <summary>A removed channel of the group was put back.</summary>
    public void Restored(int groupId)
    {
        kept[groupId]++;
        Current = model.Measure(kept);
    }

    /// <summary>The current cost as a fraction of the original's, counted in <paramref name="metric"/>.</summary>
    public double Fraction(CostMetric metric) => metric == CostMetric.Flops ? FlopsFraction : ParamsFraction;

    /// <summary>Every group is at a width it may stay at (with <c>channelMultiple</c>, not halfway through a block).</summary>
    public bool AtAllowedWidths => kept.All(k => (k.Value < steps[k.Key].Step && steps[k.Key].BelowStep) || k.Value % steps[k.Key].Step == 0 || k.Value == groups[k.Key].Channels);

    /// <summary>The smallest fraction of the original's <paramref name="metric"/> the allowed widths can reach.</summary>
    public double NarrowestFraction(CostMetric metric)
    {
        var minimal = model.Measure(groups.ToDictionary(g => g.Id, Narrowest));
        return metric == CostMetric.Flops
            ? Original.Flops == 0 ? 1 : (double)minimal.Flops / Original.Flops
            : Original.Params == 0 ? 1 : (double)minimal.Params / Original.Params;
    }

    public void Removed(int groupId)
    {
        if (kept[groupId] <= floor[groupId])
            throw new InvalidOperationException($"Group {groups[groupId].Name} would go below its narrowest width ({floor[groupId]}).");
        kept[groupId]--;
        Current = model.Measure(kept);
    }

    /// <summary>
    /// How many removals (single channels, or blocks where <c>channelMultiple</c> asks for them) would reach the target
    /// if every group shrank at the same pace, the group with the largest share of its channels kept going next: a
    /// method's first estimate of the decisions it has to make.
    /// </summary>
    public int ShrinkingEvenlyToTarget()
    {
        var widths = new Dictionary<int, int>(kept);
        var removals = 0;
        while (!Reaches(model.Measure(widths)))
        {
            var next = groups.Where(g => NextWidth(g.Id, widths[g.Id]) is not null).MaxBy(g => (double)widths[g.Id] / g.Channels);
            if (next is null)
                break;
            widths[next.Id] = NextWidth(next.Id, widths[next.Id])!.Value;
            removals++;
        }
        return removals;
    }

    private bool Reaches(CostMeasurement cost) =>
        (target.Flops is not { } f || Original.Flops == 0 || (double)cost.Flops / Original.Flops <= f)
        && (target.Params is not { } p || Original.Params == 0 || (double)cost.Params / Original.Params <= p);

    private bool CanReachTarget =>
        (target.Flops is not { } f || NarrowestFraction(CostMetric.Flops) <= f) && (target.Params is not { } p || NarrowestFraction(CostMetric.Params) <= p);

    /// <summary>Refuses up front a target that even every group at its narrowest allowed width cannot reach.</summary>
    public void EnsureReachable()
    {
        if (TargetFraction is null)
            throw new PruningFailedException("The job has no target: set target.flops or target.params (a fraction between 0 and 1).");
        var flops = NarrowestFraction(CostMetric.Flops);
        var parameters = NarrowestFraction(CostMetric.Params);
        if (target.Flops is { } f && flops > f)
            throw new PruningFailedException($"Target unreachable: with every prunable group at its narrowest allowed width the network still has {flops:P1} of its FLOPs (target {f:P1}); the rest is in layers Shears holds fixed{HeldBecause}{Limits}.");
        if (target.Params is { } p && parameters > p)
            throw new PruningFailedException($"Target unreachable: with every prunable group at its narrowest allowed width the network still has {parameters:P1} of its parameters (target {p:P1}); the rest is in layers Shears holds fixed{HeldBecause}{Limits}.");
    }

    /// <summary>The narrowest width the group may take (<c>minWidth</c>, and below that what <c>channelMultiple</c> allows).</summary>
    public int NarrowestWidth(int groupId) => Narrowest(groups[groupId]);

    private int Narrowest(ChannelGroup group)
    {
        var width = group.Channels;
        while (NextWidth(group.Id, width) is { } next)
            width = next;
        return width;
    }

    /// <summary>Why channels are held, from the dependency analysis: the first reasons beyond the graph's own input and output.</summary>
    private string HeldBecause
    {
        get
        {
            var reasons = ChannelGroupAnalysis.Find(graph).Held.Select(h => h.Reason)
                .Where(r => !r.StartsWith("the graph input", StringComparison.Ordinal) && r != "it is the graph output").Distinct().ToList();
            return reasons.Count == 0 ? " (the input and output layers)"
                : $" (besides input and output: {string.Join("; ", reasons.Take(3))}{(reasons.Count > 3 ? $"; {reasons.Count - 3} more in the inspection's held list" : "")})";
        }
    }

    private string Limits => floor.Values.Any(f => f > 1) || steps.Values.Any(s => s.Step > 1) ? " or kept by minWidth and channelMultiple" : "";
}
