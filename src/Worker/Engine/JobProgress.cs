namespace Shears.Worker.Engine;

/// <summary>
/// Reports a job's progress (its <see cref="JobPlan"/>: stage, steps done and planned per phase, ETA from measured step
/// times; loss, cost, accuracy) and keeps the trajectory for the report. Checks cancellation, so every step honours it.
/// </summary>
public sealed class JobProgress(IPruningProgress sink, CostTracker cost, CancellationToken cancellationToken)
{
    /// <summary>Share of the progress fraction the training steps fill; measuring before and finishing after take the rest.</summary>
    private const double TrainingShare = 0.95;

    private readonly List<TrajectoryPoint> trajectory = [];
    private double lastFraction;

    public JobPlan Plan { get; } = new();

    public IReadOnlyList<TrajectoryPoint> Trajectory => trajectory;

    /// <summary>Takes up an interrupted run's trajectory, so that the report shows the whole job.</summary>
    public void RestoreTrajectory(IEnumerable<TrajectoryPoint> points)
    {
        trajectory.Clear();
        trajectory.AddRange(points);
    }

    public CancellationToken CancellationToken => cancellationToken;

    /// <summary>Throws <see cref="OperationCanceledException"/> once the job is cancelled.</summary>
    public void ThrowIfCancelled() => cancellationToken.ThrowIfCancellationRequested();

    public void Log(string message) => sink.Log(message);

    /// <summary>A progress event at the plan's current stage and step; the fraction never goes back when an estimate grows.</summary>
    public void Report(double? loss, double? accuracy = null, string? message = null)
    {
        var fraction = Plan.Stage == "done" ? 1 : 0.02 + (TrainingShare - 0.02) * Plan.StepFraction;
        lastFraction = Math.Max(lastFraction, Math.Clamp(fraction, 0, 1));
        var step = Plan.StepsDone;
        sink.Progress(new ProgressUpdate(lastFraction, step, Plan.StepsPlanned, loss, accuracy, cost.FlopsFraction, cost.ParamsFraction, message,
            Plan.Stage == "done" ? 0 : Plan.EtaSeconds, Plan.Stage, Plan.Phases.ToArray(), Plan.SecondsPerStep));
        trajectory.Add(new TrajectoryPoint(step, cost.FlopsFraction, cost.ParamsFraction, accuracy, loss));
    }
}
