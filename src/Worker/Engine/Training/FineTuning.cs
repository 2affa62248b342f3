using Shears.Worker.Engine.Checkpoints;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Training;

/// <summary>
/// Training with the pruned channels masked, for the job's configured steps or epochs or, when it gave neither, until the
/// held-out accuracy stops improving (<see cref="EarlyStopping"/>), at the rate <see cref="FineTuningRate"/> gives each step.
/// </summary>
public static class FineTuning
{
    /// <summary>
    /// Runs <paramref name="steps"/> steps (null: until the held-out accuracy stops improving). <paramref name="state"/> is
    /// what else the method keeps on the network while it fine-tunes (L0's weight masks). Records how long it ran in
    /// <see cref="PruningSession.FineTuning"/>.
    /// </summary>
    public static void Run(PruningSession session, int? steps, ICheckpointed? state = null)
    {
        using var stopping = steps is null ? new EarlyStopping(session) : null;
        var length = steps ?? stopping!.MaxSteps;
        var progress = session.Progress;
        progress.Plan.Plan(TrainingPhase.FineTuning, length);
        var interval = stopping?.Interval ?? Math.Max(1, length / 10);
        var rate = FineTuningRate.For(session.Options, lengthOpen: steps is null);
        progress.Log($"Fine-tuning learning rate: {rate}, over {(stopping is null ? "" : "at most ")}{length} steps.");
        var ran = PhaseLoop.Run(session, TrainingPhase.FineTuning, Both(state, stopping), step => step <= length && (stopping?.Continues(step) ?? true), step =>
        {
            stopping?.BeforeStep(step);
            float loss;
            session.Trainer.SetLearningRate(rate.At(step, length));
            using (NewDisposeScope())
            {
                loss = session.Trainer.Step(session.Data.NextTrainBatch());
            }
            var accuracy = stopping?.AfterStep(step);
            if (step % interval == 0 || step == length)
            {
                accuracy ??= stopping is null && (step == length || step % (interval * 5) == 0) ? Evaluation.Accuracy(session.Module, session.Data) : null;
                progress.Report(loss, accuracy, $"fine-tuning step {step}/{(stopping is null ? length : $"at most {length}")}");
            }
            return false;
        });
        session.Trainer.SetLearningRate(session.Options.LearningRate);
        progress.Plan.Plan(TrainingPhase.FineTuning, ran);
        session.StepsTaken += ran;
        if (stopping is null)
        {
            session.FineTuning = new FineTuningRun(ran, Math.Round((double)ran / Math.Max(1, session.Data.StepsPerEpoch), 2), "ran the steps or epochs the job asked for");
            return;
        }
        stopping.KeepBest();
        session.FineTuning = stopping.Outcome(ran);
        progress.Log($"Fine-tuning ran {ran} steps ({session.FineTuning.Epochs} epochs) and {session.FineTuning.Stopped}; " +
            $"kept the weights of step {stopping.BestStep} (held-out accuracy {stopping.BestAccuracy:P2}).");
    }

    private static ICheckpointed? Both(ICheckpointed? first, ICheckpointed? second) =>
        first is null ? second : second is null ? first : new Pair(first, second);

    private sealed class Pair(ICheckpointed first, ICheckpointed second) : ICheckpointed
    {
        public void Save(CheckpointData data)
        {
            first.Save(data);
            second.Save(data);
        }

        public void Restore(CheckpointData data)
        {
            first.Restore(data);
            second.Restore(data);
        }
    }
}
