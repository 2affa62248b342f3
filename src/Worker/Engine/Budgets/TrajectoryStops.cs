using Shears.Domain.Jobs;
using Shears.Worker.Engine.Checkpoints;

namespace Shears.Worker.Engine.Budgets;

/// <summary>
/// Snapshots along one pruning trajectory: the first time the network's cost is at or below each stop (a fraction of the
/// original's FLOPs or parameters, largest first) with every group at an allowed width, the network is captured
/// (<see cref="NetworkSnapshot"/>). The method runs once, to the last stop; the job then goes back to each snapshot it needs.
/// Saved with the job's checkpoints, so a resumed trajectory does not take its stops again.
/// </summary>
public sealed class TrajectoryStops(CostMetric metric, IReadOnlyList<double> fractions) : ICheckpointed
{
    private readonly List<Reached> taken = [];

    /// <summary>One stop reached: where the trajectory was (fractions of the original) and the network there, until dropped.</summary>
    public sealed record Reached(double Target, double FlopsFraction, double ParamsFraction)
    {
        public NetworkSnapshot? Network { get; set; }
    }

    public CostMetric Metric => metric;

    public IReadOnlyList<double> Fractions => fractions;

    public IReadOnlyList<Reached> Taken => taken;

    public bool AllTaken => taken.Count == fractions.Count;

    /// <summary>The next stop to take (a fraction of the original's <see cref="Metric"/>), or null when all are taken.</summary>
    public double? Next => AllTaken ? null : fractions[taken.Count];

    /// <summary>
    /// Runs the method's pruning (<paramref name="prune"/>, no fine-tuning) and takes every stop on its way: after each
    /// removal, or when the method itself calls <see cref="TakeDue"/> (L0, whose trajectory is its gate training).
    /// </summary>
    public void Follow(PruningSession session, Action<TrajectoryStops> prune)
    {
        session.ChannelRemoved = () => TakeDue(session);
        try
        {
            prune(this);
        }
        finally
        {
            session.ChannelRemoved = null;
        }
        TakeDue(session);
        if (!AllTaken)
            throw new PruningFailedException($"The pruning trajectory ended at {session.Cost.Fraction(metric):P1} of the {TargetJson.Name(metric)} before reaching {fractions[taken.Count]:P1}.");
    }

    /// <summary>Forgets the network of stop <paramref name="index"/> (its figures stay): it will not be fine-tuned again.</summary>
    public void Drop(int index) => taken[index].Network = null;

    /// <summary>Takes the next stops when the session's network is at or below them, at allowed widths.</summary>
    public void TakeDue(PruningSession session)
    {
        if (taken.Count == fractions.Count || session.Cost.Fraction(metric) > fractions[taken.Count] || !session.Cost.AtAllowedWidths)
            return;
        var snapshot = NetworkSnapshot.Capture(session);
        // A removal may pass more than one stop: they share the network.
        while (taken.Count < fractions.Count && session.Cost.Fraction(metric) <= fractions[taken.Count])
            taken.Add(new Reached(fractions[taken.Count], session.Cost.FlopsFraction, session.Cost.ParamsFraction) { Network = snapshot });
        session.Progress.Log($"Snapshot at {session.Cost.FlopsFraction:P1} of the FLOPs, {session.Cost.ParamsFraction:P1} of the parameters (stop {taken.Count} of {fractions.Count}).");
    }

    public void Save(CheckpointData data)
    {
        data.Counters["stops/taken"] = taken.Count;
        for (var i = 0; i < taken.Count; i++)
        {
            data.Numbers[$"stops/{i}/flops"] = taken[i].FlopsFraction;
            data.Numbers[$"stops/{i}/params"] = taken[i].ParamsFraction;
            taken[i].Network?.SaveInto(data, $"stops/{i}/network");
        }
    }

    public void Restore(CheckpointData data)
    {
        taken.Clear();
        var count = (int)data.Counter("stops/taken");
        for (var i = 0; i < count; i++)
        {
            var snapshot = data.Part($"stops/{i}/network").Tensors.Count > 0 ? NetworkSnapshot.Load(data, $"stops/{i}/network") : null;
            taken.Add(new Reached(fractions[i], data.Number($"stops/{i}/flops"), data.Number($"stops/{i}/params")) { Network = snapshot });
        }
    }
}
