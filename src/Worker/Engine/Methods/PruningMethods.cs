using Shears.Domain.Jobs;
using Shears.Worker.Engine.Budgets;
using Shears.Worker.Engine.Methods.L0;
using Shears.Worker.Engine.Training;

namespace Shears.Worker.Engine.Methods;

/// <summary>
/// What the engine asks of a pruning method, one entry per method: the steps it plans per phase, the whole run to the
/// session's target (pruning and fine-tuning), and the pruning alone down to the session's target, passing every stop of
/// a levels or budget job (<see cref="TrajectoryStops"/>), which the job then fine-tunes one by one. Fisher and magnitude
/// remove channels one decision at a time, and the stops are taken after removals; L0 trains its gates once and takes each
/// stop where its gates pass it. Also the most steps its fine-tuning takes when the job gives no length
/// (<see cref="EarlyStopping"/>).
/// </summary>
public sealed record PruningMethodEntry(Action<PruningSession> PlanSteps, Action<PruningSession> Run, Action<PruningSession, TrajectoryStops> PruneAlongTrajectory,
    int MostFineTuningSteps = EarlyStopping.MostMaxSteps);

public static class PruningMethods
{
    public static PruningMethodEntry For(PruningMethod method) => method switch
    {
        PruningMethod.Magnitude => new(MagnitudePruning.PlanSteps, MagnitudePruning.Run, (session, _) => MagnitudePruning.Prune(session)),
        PruningMethod.Fisher => new(FisherPruning.PlanSteps, FisherPruning.Run, (session, _) => FisherPruning.Prune(session), FisherPruning.MostFineTuningSteps),
        PruningMethod.L0 => new(L0Pruning.PlanSteps, L0Pruning.Run, L0Trajectory.Prune),
        _ => throw new PruningFailedException($"The method '{method}' is not available in this worker yet."),
    };
}
