using Shears.Worker.Engine.Checkpoints;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Training;

/// <summary>
/// Fine-tuning whose length the job did not give: held-out accuracy (without labels, agreement with the original) is measured before the first step and every
/// <see cref="Interval"/> steps (an epoch, but at least <see cref="ShortestInterval"/> and at most <see cref="LongestInterval"/>
/// steps); training stops once <see cref="Patience"/> measurements in a row brought no better one, or after
/// <see cref="MaxEpochs"/> epochs (but at least <see cref="FewestMaxSteps"/> steps, and at most the method's bound:
/// <see cref="MostMaxSteps"/>, Fisher's lower), and the weights of the best measurement are put back. The lower bound in
/// steps keeps the length from following the dataset's size alone: on 6,000 images an epoch is 54 steps, so measuring
/// every epoch on the 600 held-out images stopped LeNet-5's fine-tuning on noise after 270 steps, and 10 epochs capped it
/// at 540 while its accuracy still rose. The upper one is 10 epochs of 54,000 images: with 3,000 the small ResNet's
/// fine-tuning still gained at the bound (by magnitude −1.99 pt at 3,900 steps, −1.02 at 5,400). Its state (the best weights, the counters) goes into checkpoints, so a
/// resumed job stops where an uninterrupted one does.
/// </summary>
public sealed class EarlyStopping : ICheckpointed, IDisposable
{
    public const int Patience = 3;
    public const double MaxEpochs = 10;
    public const int ShortestInterval = 100;
    public const int LongestInterval = 250;
    public const int FewestMaxSteps = 1000;
    public const int MostMaxSteps = 5400;

    private readonly PruningSession session;
    private readonly Dictionary<string, Tensor> best;

    public EarlyStopping(PruningSession session)
    {
        this.session = session;
        Interval = IntervalFor(session.Data.StepsPerEpoch);
        MaxSteps = MaxStepsFor(session.Data.StepsPerEpoch, session.MostFineTuningSteps);
        best = session.Module.TrainedState.ToDictionary(s => s.Name, s => s.Value.detach().clone().DetachFromDisposeScope());
    }

    /// <summary>Steps between held-out measurements for data of <paramref name="stepsPerEpoch"/> steps an epoch.</summary>
    public static int IntervalFor(int stepsPerEpoch) => Math.Clamp(stepsPerEpoch, ShortestInterval, LongestInterval);

    /// <summary>The most steps fine-tuning runs for data of <paramref name="stepsPerEpoch"/> steps an epoch, with the method's bound <paramref name="mostSteps"/>.</summary>
    public static int MaxStepsFor(int stepsPerEpoch, int mostSteps = MostMaxSteps) => Math.Clamp((int)Math.Ceiling(MaxEpochs * Math.Max(1, stepsPerEpoch)), FewestMaxSteps, mostSteps);

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
            MeasuredSinceBest >= Patience ? $"{(Evaluation.HasAccuracy(session.Module, session.Data) ? "held-out accuracy" : "agreement with the original")} did not improve in {Patience} measurements {Interval} steps apart" : $"reached the upper bound of {MaxSteps} steps",
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
