using static TorchSharp.torch;

namespace Shears.Worker.Engine;

/// <summary>
/// Training with the pruned channels masked, for the job's configured steps or epochs, at the job's learning rate or,
/// with <c>schedule: cosine</c>, at that rate decayed to zero along a half cosine. The rate is a function of the step
/// alone, so a resumed run continues on the same curve.
/// </summary>
public static class FineTuning
{
    /// <summary>
    /// Runs <paramref name="steps"/> steps. <paramref name="state"/> is what else the method keeps on the network while it
    /// fine-tunes (L0's weight masks).
    /// </summary>
    public static void Run(PruningSession session, int steps, ICheckpointed? state = null)
    {
        var progress = session.Progress;
        progress.Plan.Plan(TrainingPhase.FineTuning, steps);
        var interval = Math.Max(1, steps / 10);
        PhaseLoop.Run(session, TrainingPhase.FineTuning, state, step => step <= steps, step =>
        {
            float loss;
            if (session.Options.Schedule == "cosine")
                session.Trainer.SetLearningRate(CosineRate(session.Options.LearningRate, step, steps));
            using (NewDisposeScope())
            {
                loss = session.Trainer.Step(session.Data.NextTrainBatch());
            }
            if (step % interval == 0 || step == steps)
            {
                var accuracy = step == steps || step % (interval * 5) == 0 ? Evaluation.Accuracy(session.Module, session.Data) : (double?)null;
                progress.Report(loss, accuracy, $"fine-tuning step {step}/{steps}");
            }
            return false;
        });
        session.StepsTaken += steps;
    }

    /// <summary>The rate of step <paramref name="step"/> (1-based) of <paramref name="steps"/>: <paramref name="initial"/> at the first, near zero at the last.</summary>
    public static double CosineRate(double initial, int step, int steps) => initial * 0.5 * (1 + Math.Cos(Math.PI * (step - 1) / steps));
}
