using Shears.Worker.Engine.Checkpoints;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Training;

/// <summary>
/// Fine-tuning whose length the job did not give: held-out accuracy (without labels, agreement with the original) is measured before the first step and every
/// <see cref="Interval"/> steps (an epoch, or <see cref="LongestInterval"/> steps on large data); training stops once
/// <see cref="Patience"/> measurements in a row brought no better one, or after <see cref="MaxEpochs"/> epochs, and the
/// weights of the best measurement are put back. Its state (the best weights, the counters) goes into checkpoints, so a
/// resumed job stops where an uninterrupted one does.
/// </summary>
public sealed class EarlyStopping : ICheckpointed, IDisposable
{
    public const int Patience = 3;
    public const double MaxEpochs = 10;
    public const int LongestInterval = 250;

    private readonly PruningSession session;
    private readonly Dictionary<string, Tensor> best;

    public EarlyStopping(PruningSession session)
    {
        this.session = session;
        var epoch = Math.Max(1, session.Data.StepsPerEpoch);
        Interval = Math.Min(epoch, LongestInterval);
        MaxSteps = (int)Math.Ceiling(MaxEpochs * epoch);
        best = session.Module.TrainedState.ToDictionary(s => s.Name, s => s.Value.detach().clone().DetachFromDisposeScope());
    }

    public int Interval { get; }

    public int MaxSteps { get; }

    public double BestAccuracy { get; private set; } = double.NaN;

    /// <summary>The step after which the best weights were measured (0: before fine-tuning).</summary>
    public int BestStep { get; private set; }

    public int MeasuredSinceBest { get; private set; }

    public bool Continues(int step) => step <= MaxSteps && MeasuredSinceBest < Patience;

    /// <summary>Before step 1 of a run that was not resumed: the accuracy to beat is the pruned network's.</summary>
    public void BeforeStep(int step)
    {
        if (step == 1 && double.IsNaN(BestAccuracy))
            Measure(0);
    }

    /// <summary>Returns the accuracy when this step was a measurement.</summary>
    public double? AfterStep(int step) => step % Interval == 0 || step == MaxSteps ? Measure(step) : null;

    /// <summary>Puts the best measured weights back into the network.</summary>
    public void KeepBest()
    {
        using var noGrad = no_grad();
        foreach (var (name, value) in session.Module.TrainedState)
            value.copy_(best[name]);
    }

    /// <summary>Why training stopped, for the result (after the loop ended at <paramref name="steps"/>).</summary>
    public FineTuningRun Outcome(int steps) =>
        new(steps, Math.Round((double)steps / Math.Max(1, session.Data.StepsPerEpoch), 2),
            MeasuredSinceBest >= Patience ? $"{(Evaluation.HasAccuracy(session.Module, session.Data) ? "held-out accuracy" : "agreement with the original")} did not improve in {Patience} measurements {Interval} steps apart" : $"reached the upper bound of {MaxEpochs} epochs",
            BestStep, BestAccuracy);

    private double Measure(int step)
    {
        var accuracy = HeldOutFigure();
        if (double.IsNaN(BestAccuracy) || accuracy > BestAccuracy)
        {
            (BestAccuracy, BestStep, MeasuredSinceBest) = (accuracy, step, 0);
            using var noGrad = no_grad();
            foreach (var (name, value) in session.Module.TrainedState)
                best[name].copy_(value);
        }
        else
        {
            MeasuredSinceBest++;
        }
        return accuracy;
    }

    /// <summary>Held-out accuracy; without labels (objective distill), the agreement with the original averaged over outputs.</summary>
    private double HeldOutFigure() => Evaluation.Accuracy(session.Module, session.Data)
        ?? Evaluation.Measure(session.Module, session.Data, session.Objective.Teacher).Agreement.Select(a => a.Top1Agreement ?? a.Cosine).DefaultIfEmpty(0).Average();

    public void Save(CheckpointData data)
    {
        foreach (var (name, value) in best)
            data.Put($"early-stopping/best/{name}", value);
        data.Numbers["early-stopping/best-accuracy"] = BestAccuracy;
        data.Counters["early-stopping/best-step"] = BestStep;
        data.Counters["early-stopping/since-best"] = MeasuredSinceBest;
    }

    public void Restore(CheckpointData data)
    {
        foreach (var (name, value) in best)
            data.CopyInto($"early-stopping/best/{name}", value);
        BestAccuracy = data.Number("early-stopping/best-accuracy");
        BestStep = (int)data.Counter("early-stopping/best-step");
        MeasuredSinceBest = (int)data.Counter("early-stopping/since-best");
    }

    public void Dispose()
    {
        foreach (var value in best.Values)
            value.Dispose();
    }
}
