using Shears.Domain.Jobs;
using Shears.Worker.Engine.Budgets;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Methods.L0;

/// <summary>
/// L0 along one trajectory, for levels and budget jobs: one gate training whose λ rises as its goal falls from the full
/// network to the smallest stop (<see cref="L0GateTraining"/>'s schedule), and wherever the expected cost under the gates
/// passes a stop (where a one-target L0 job ends its gate training), the gates are projected to that stop as such a job
/// projects them (channels removed in ascending log α, fractional gates folded into the consumers) and the projected
/// network is captured (<see cref="TrajectoryStops.TakeDue"/>); then training goes on from the unprojected network. Stops
/// not passed by the end of training are projected from the final gates. The job then fine-tunes each capture on its own.
/// </summary>
public static class L0Trajectory
{
    /// <summary>The expected cost is read (one host round trip) every this many steps.</summary>
    private const int CheckInterval = 8;

    public static void Prune(PruningSession session, TrajectoryStops stops)
    {
        if (session.Options.Granularity == "weight")
            throw new PruningFailedException("granularity \"weight\" keeps every tensor's shape, so it has no sizes to pass; levels and budgets need granularity \"channel\".");
        session.Cost.EnsureReachable();
        var (gateSteps, _) = L0Pruning.Steps(session);
        using var expected = ExpectedCost.Fit(session.Groups, session.Cost.TargetCostOf);
        using var gates = new L0Gates(session, new HardConcrete(session.Options.GateTemperature));
        var gateSet = new ChannelGateSet(gates, expected);
        L0Pruning.TrainGates(session, gateSet, session.Cost.TargetFraction, gateSteps, step =>
        {
            if (step % CheckInterval != 0 && step != gateSteps)
                return;
            var expected = ExpectedFraction(gateSet);
            while (stops.Next is { } stop && expected <= stop)
                TakeAt(session, gates, stops, stop, $"at gate step {step} of {gateSteps}, the expected cost {expected:P1}");
        });
        while (stops.Next is { } stop)
            TakeAt(session, gates, stops, stop, "from the final gates");
    }

    /// <summary>The expected cost under the gates' distribution, a fraction of the original's in the target's metric.</summary>
    private static double ExpectedFraction(ChannelGateSet gates)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return 1 + gates.ExpectedCostChange().item<float>();
    }

    /// <summary>Projects the gates to <paramref name="stop"/>, takes the stop, and puts the gate-trained network back.</summary>
    private static void TakeAt(PruningSession session, L0Gates gates, TrajectoryStops stops, double stop, string when)
    {
        session.Progress.Log($"l0: projecting the gates to {stop:P1} of the {TargetJson.Name(stops.Metric)} {when}.");
        var trained = NetworkSnapshot.Capture(session);
        var afterRemoval = session.ChannelRemoved;
        session.ChannelRemoved = null; // a stop is taken once the projection is complete, not halfway through it
        double projected;
        try
        {
            L0Pruning.RemoveClosedChannels(session, gates, stop);
            projected = session.Cost.Fraction(stops.Metric);
            stops.TakeDue(session);
        }
        finally
        {
            session.ChannelRemoved = afterRemoval;
            trained.RestoreInto(session);
        }
        if (stops.Next == stop)
            throw new PruningFailedException($"l0 could not project its gates to {stop:P1} of the {TargetJson.Name(stops.Metric)} at widths the job allows " +
                $"(it came to {projected:P1}).");
    }
}
