using Shears.Domain.Jobs;
using Shears.Worker.Engine.Checkpoints;
using Shears.Worker.Engine.Training;

namespace Shears.Worker.Engine.Budgets;

/// <summary>
/// A levels job (<c>{"flops": [0.5, 0.25, 0.1]}</c>): the method prunes once, down to the smallest level, and the network is
/// captured where the trajectory passes each level (<see cref="TrajectoryStops"/>); then each level, largest first, goes
/// back to its snapshot, is fine-tuned on its own and finished. Finished levels are kept in the job's checkpoints, so an
/// interrupted job resumes at the level it was fine-tuning.
/// </summary>
public sealed class PruningLevels : ICheckpointed
{
    private readonly TrajectoryStops stops;
    private readonly List<FinishedNetwork> done = [];

    private PruningLevels(TargetLevels levels) => stops = new TrajectoryStops(levels.Metric, [.. levels.Fractions.OrderDescending()]);

    /// <param name="prune">The method's pruning without its fine-tuning.</param>
    /// <param name="finish">Shrinks, checks and measures the session's current network.</param>
    public static IReadOnlyList<LevelOutcome> Run(PruningSession session, TargetLevels levels, Action<TrajectoryStops> prune, Func<FinishedNetwork> finish)
    {
        var job = new PruningLevels(levels);
        session.Checkpoints.Attach(job);
        if (!session.Checkpoints.ResumesIn(TrainingPhase.FineTuning))
            job.stops.Follow(session, prune);
        session.Progress.Plan.PlanRuns(TrainingPhase.FineTuning, job.stops.Fractions.Count - job.done.Count, session.FineTuningStepsAtMost);
        for (var level = job.done.Count; level < job.stops.Fractions.Count; level++)
        {
            var stop = job.stops.Taken[level];
            session.Progress.Log($"Level {level + 1} of {job.stops.Fractions.Count} ({stop.Target:P0} of the {TargetJson.Name(levels.Metric)}): fine-tuning the network captured at {stop.FlopsFraction:P1} of the FLOPs.");
            stop.Network!.RestoreInto(session);
            FineTuning.Run(session, session.FineTuningSteps);
            session.Progress.Plan.Enter("finishing");
            var network = finish();
            job.done.Add(network);
            job.stops.Drop(level);
            session.Progress.Log($"Level {level + 1}: {network.After.Flops} FLOPs, {network.After.Params} parameters, accuracy {network.After.Accuracy:P2}, ONNX Runtime {network.OriginalLatencyMs:F3} → {network.After.LatencyMs:F3} ms.");
        }
        return [.. job.stops.Taken.Select((stop, i) => new LevelOutcome(stop.Target, job.done[i]))];
    }

    public void Save(CheckpointData data)
    {
        stops.Save(data);
        data.Counters["levels/done"] = done.Count;
        for (var i = 0; i < done.Count; i++)
            done[i].SaveInto(data, $"levels/{i}");
    }

    public void Restore(CheckpointData data)
    {
        stops.Restore(data);
        done.Clear();
        var count = (int)data.Counter("levels/done");
        for (var i = 0; i < count; i++)
            done.Add(FinishedNetwork.Load(data, $"levels/{i}"));
    }
}
