using Shears.Domain.Jobs;
using Shears.Worker.Engine.Methods.L0;

namespace Shears.Worker.Engine.Methods;

/// <summary>
/// What the engine asks of a pruning method, one entry per method: the steps it plans per phase, the whole run to the
/// session's target (pruning and fine-tuning), and — for methods that prune along one trajectory — the removals alone,
/// which levels and budget jobs snapshot and fine-tune themselves.
/// </summary>
public sealed record PruningMethodEntry(Action<PruningSession> PlanSteps, Action<PruningSession> Run, Action<PruningSession>? PruneAlongTrajectory);

public static class PruningMethods
{
    public static PruningMethodEntry For(PruningMethod method) => method switch
    {
        PruningMethod.Magnitude => new(MagnitudePruning.PlanSteps, MagnitudePruning.Run, MagnitudePruning.Prune),
        PruningMethod.Fisher => new(FisherPruning.PlanSteps, FisherPruning.Run, FisherPruning.Prune),
        PruningMethod.L0 => new(L0Pruning.PlanSteps, L0Pruning.Run, PruneAlongTrajectory: null),
        _ => throw new PruningFailedException($"The method '{method}' is not available in this worker yet."),
    };
}
