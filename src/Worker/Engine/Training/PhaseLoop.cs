using System.Diagnostics;
using Shears.Worker.Engine.Checkpoints;
using Shears.Worker.Telemetry;

namespace Shears.Worker.Engine.Training;

/// <summary>
/// The step loop every training phase runs in: it resumes the phase from the job's checkpoint, stops when the job
/// is cancelled or the worker shuts down (saving what was trained since the last save first), and saves a
/// checkpoint once <c>checkpointEverySteps</c> steps have passed since the last one. A phase that decides in
/// rounds (Fisher) can ask for those saves to wait for its next decision, so that a checkpoint rarely carries a
/// half-accumulated round and short rounds do not each write one. It tells the job's plan when the phase starts and
/// how long each step took.
/// </summary>
public static class PhaseLoop
{
    /// <param name="continues">Whether step n (1-based) is to be run.</param>
    /// <param name="step">Runs step n; returns true when the step ended in a decision (a Fisher round's removals).</param>
    /// <param name="saveAtDecisions">Due saves wait for the next step that returns true.</param>
    /// <returns>The steps the phase ran in all, the interrupted run's included.</returns>
    public static int Run(PruningSession session, TrainingPhase phase, ICheckpointed? state, Func<int, bool> continues, Func<int, bool> step,
        bool saveAtDecisions = false)
    {
        using var span = ShearsTelemetry.StartSpan("training phase");
        span?.SetTag("shears.phase", phase.ToString());
        var stepTag = new KeyValuePair<string, object?>("phase", phase.ToString());
        var checkpoints = session.Checkpoints;
        var progress = session.Progress;
        var resumedAt = checkpoints.Resume(phase, state);
        progress.Plan.Start(phase, session.StepsTaken);
        var lastSaved = resumedAt;
        var clock = new Stopwatch();
        var n = resumedAt + 1;
        for (; continues(n); n++)
        {
            if (progress.CancellationToken.IsCancellationRequested)
            {
                if (checkpoints.Every > 0 && n - 1 > lastSaved)
                    checkpoints.Save(phase, n - 1, state);
                progress.ThrowIfCancelled();
            }
            clock.Restart();
            progress.Plan.Step(phase, n);
            var decided = step(n);
            var took = clock.Elapsed.TotalSeconds;
            progress.Plan.Took(phase, took);
            ShearsTelemetry.StepTime.Record(took, stepTag);
            if (checkpoints.Every > 0 && n - lastSaved >= checkpoints.Every && (decided || !saveAtDecisions))
            {
                checkpoints.Save(phase, n, state);
                lastSaved = n;
            }
        }
        return n - 1;
    }
}
