using Shears.Domain.Persistence;
using Shears.Worker.Engine;

namespace Shears.Worker.Jobs;

/// <summary>
/// The engine's <see cref="IPruningProgress"/> for a job: every report becomes a job event (and moves the job's
/// progress). A report never throws for a cancel request or a shutdown: the engine stops at the top of its next step,
/// where it first saves what it trained since its last checkpoint. A report that threw would end a step whose work is
/// done, before that save, and the job would start again from an older checkpoint.
/// </summary>
public sealed class JobProgressReporter(JobEventLog events, PruningJob job) : IPruningProgress
{
    public void Progress(ProgressUpdate update)
    {
        var fraction = Math.Clamp(update.Fraction, 0, 1);
        var data = new ProgressEventData(fraction, update.Step, update.TotalSteps, update.Loss, update.Accuracy,
            update.FlopsFraction, update.ParamsFraction, update.Message, update.EtaSeconds, update.Stage, update.Phases, update.SecondsPerStep);
        Append(JobEventType.Progress, data, async db =>
        {
            var row = await db.Jobs.FindAsync([job.Id], CancellationToken.None);
            row!.Progress = fraction;
        });
    }

    public void Log(string message) => Append(JobEventType.Log, new LogEventData(message), null);

    private void Append(JobEventType type, object data, Func<ShearsDbContext, Task>? alsoChange)
    {
        // The engine reports from its own (synchronous) training loop; waiting here keeps events in order.
        events.AppendAsync(job.Id, job.TenantId, type, data, CancellationToken.None, alsoChange).GetAwaiter().GetResult();
    }
}

/// <summary>
/// The <c>data:</c> of a <c>progress</c> event; <c>flops</c> and <c>params</c> are fractions of the original; <c>step</c>
/// and <c>totalSteps</c> are training steps done and planned over all <c>phases</c> (<c>{name, stepsDone, stepsPlanned}</c>);
/// <c>phase</c> is the stage the job is in; <c>etaSeconds</c> comes from the measured <c>stepSeconds</c>.
/// </summary>
public sealed record ProgressEventData(double Progress, int Step, int TotalSteps, double? Loss, double? Accuracy,
    double? Flops, double? Params, string? Message, double? EtaSeconds, string? Phase, IReadOnlyList<PhaseProgress>? Phases, double? StepSeconds);
