namespace Shears.Worker.Engine.Methods;

/// <summary>
/// How far one Fisher round prunes, on top of the channels whose Δ was exactly 0 over the round (which always go: the
/// round saw nothing depend on them). With <c>channelsPerPrune</c> given, that many channels more (the paper's greedy
/// removes one). By default, channels until the round has covered <see cref="ShareOfRemaining"/> of the distance still
/// to the target, or <see cref="LeastShareOfDistance"/> of the whole distance if that is more: steps shrink as the job
/// nears its target, and the rounds stay bounded whatever the network's width (the remaining distance falls below a tenth
/// in about 22 rounds and the rest takes at most 10 more), so a job's length follows its data and epochs, not its channel count.
/// </summary>
public sealed class FisherRoundBudget
{
    public const double ShareOfRemaining = 0.1;
    public const double LeastShareOfDistance = 0.01;

    private readonly CostTracker cost;
    private readonly int? channels;
    private readonly double startProgress;
    private readonly double endProgress;
    private int charged;

    /// <summary>A round starting now, with the job's <c>channelsPerPrune</c> (null: the default schedule).</summary>
    public FisherRoundBudget(CostTracker cost, int? channelsPerPrune)
    {
        this.cost = cost;
        channels = channelsPerPrune;
        startProgress = cost.Progress;
        endProgress = Math.Min(1, startProgress + Math.Max(ShareOfRemaining * (1 - startProgress), LeastShareOfDistance));
    }

    /// <summary>Whether the round may remove one more channel whose Δ is not 0 (by default at least one unless the dead ones took the round further).</summary>
    public bool AllowsMore => !cost.TargetReached && (channels is { } n ? charged < n : cost.Progress < endProgress || cost.Progress <= startProgress);

    /// <summary>Counts a removal (of one or a block of channels) against the round.</summary>
    public void Charge() => charged++;

    /// <summary>The rounds the default schedule takes from <paramref name="progress"/> (0..1 of the way) to the target, were no channel's Δ 0.</summary>
    public static int RoundsLeft(double progress)
    {
        var rounds = 0;
        for (; progress < 1 - 1e-9; rounds++)
            progress = Math.Min(1, progress + Math.Max(ShareOfRemaining * (1 - progress), LeastShareOfDistance));
        return rounds;
    }

    /// <summary>"1 a round" or "10% of the remaining distance a round" for logs.</summary>
    public static string Describe(int? channelsPerPrune) =>
        channelsPerPrune is { } n ? $"{n} a round" : $"{ShareOfRemaining:P0} of the remaining distance to the target a round, at least {LeastShareOfDistance:P0} of the whole";
}
