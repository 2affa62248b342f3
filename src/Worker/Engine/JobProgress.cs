using System.Diagnostics;

namespace Shears.Worker.Engine;

/// <summary>
/// Reports a job's progress (fraction, step, loss, cost, accuracy, ETA from the elapsed time) and
/// keeps the trajectory for the report. Checks cancellation, so every step honours it.
/// </summary>
public sealed class JobProgress(IPruningProgress sink, CostTracker cost, CancellationToken cancellationToken)
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly List<TrajectoryPoint> trajectory = [];

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

    public void Report(double fraction, int step, int totalSteps, double? loss, double? accuracy = null, string? message = null)
    {
        fraction = Math.Clamp(fraction, 0, 1);
        double? eta = fraction > 0.01 ? clock.Elapsed.TotalSeconds * (1 - fraction) / fraction : null;
        sink.Progress(new ProgressUpdate(fraction, step, totalSteps, loss, accuracy, cost.FlopsFraction, cost.ParamsFraction, message, eta));
        trajectory.Add(new TrajectoryPoint(step, cost.FlopsFraction, cost.ParamsFraction, accuracy, loss));
    }
}
