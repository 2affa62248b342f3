using Shears.Domain.Datasets;
using Shears.Domain.Jobs;
using Shears.Worker.Data;
using Shears.Worker.Engine.Checkpoints;
using Shears.Worker.Engine.Training;

namespace Shears.Worker.Engine;

/// <summary>
/// Everything the engine needs to run one pruning job. No database, no files: <paramref name="Checkpoints"/>, when
/// given, is where training state goes and where an interrupted run's state comes back from. <paramref name="EvalDataset"/>,
/// when given, is where every before/after figure is measured (else on the <c>validationFraction</c> slice of the dataset).
/// </summary>
public sealed record PruneRequest(
    byte[] OnnxModel,
    JobDataset Dataset,
    PruningMethod Method,
    PruningTarget Target,
    PruningOptions Options,
    ITrainingCheckpoints? Checkpoints = null,
    JobDataset? EvalDataset = null);

/// <summary>Where the engine reports as it runs. Implementations persist events (job_events).</summary>
public interface IPruningProgress
{
    /// <summary>A progress event: fraction done in 0..1 plus the metrics that fit.</summary>
    void Progress(ProgressUpdate update);

    void Log(string message);
}

/// <summary>
/// One progress report. <paramref name="Step"/> and <paramref name="TotalSteps"/> are the job's training steps done and
/// planned over all <paramref name="Phases"/>; <paramref name="Stage"/> is what it is doing (measuring, a phase's name,
/// pruning, finishing, done); <paramref name="EtaSeconds"/> is the planned steps still to run times the measured
/// <paramref name="SecondsPerStep"/>.
/// </summary>
public sealed record ProgressUpdate(
    double Fraction,
    int Step,
    int TotalSteps,
    double? Loss = null,
    double? Accuracy = null,
    double? FlopsFraction = null,
    double? ParamsFraction = null,
    string? Message = null,
    double? EtaSeconds = null,
    string? Stage = null,
    IReadOnlyList<PhaseProgress>? Phases = null,
    double? SecondsPerStep = null);

/// <summary>
/// A network's cost and held-out figures: top-1 accuracy (top-5 with more than 10 classes) when the data has labels, and,
/// for the pruned network, its agreement with the original per output.
/// </summary>
public sealed record NetworkMetrics(long Params, long Flops, double? Accuracy, double LatencyMs, double? Top5Accuracy = null,
    IReadOnlyList<OutputAgreement>? Agreement = null)
{
    /// <summary>Equal figures are equal metrics: the agreement list compares by its items, not by reference.</summary>
    public bool Equals(NetworkMetrics? other) => other is not null && (Params, Flops, Accuracy, LatencyMs, Top5Accuracy) ==
        (other.Params, other.Flops, other.Accuracy, other.LatencyMs, other.Top5Accuracy) &&
        (Agreement ?? []).SequenceEqual(other.Agreement ?? []);

    public override int GetHashCode() => HashCode.Combine(Params, Flops, Accuracy, LatencyMs, Top5Accuracy, Agreement?.Count ?? 0);
}

public sealed record LayerWidth(string Name, int ChannelsBefore, int ChannelsAfter);

/// <summary>The result of a successful job: the shrunk network and what it cost and gained.</summary>
public sealed record PruneOutcome(
    byte[] PrunedOnnx,
    byte[] WeightsSafetensors,
    NetworkMetrics Before,
    NetworkMetrics After,
    IReadOnlyList<LayerWidth> Layers,
    IReadOnlyList<TrajectoryPoint> Trajectory,
    WeightSparsity? Sparsity = null,
    FineTuningRun? FineTuning = null,
    IReadOnlyList<LevelOutcome>? Levels = null,
    IReadOnlyList<BudgetCandidate>? Candidates = null,
    string Objective = Objective.Labels,
    string EvaluatedOn = "");

/// <summary>
/// How long fine-tuning ran and why it stopped; when the job gave no length, also the step whose weights were kept
/// (0: those before fine-tuning) and their held-out accuracy.
/// </summary>
public sealed record FineTuningRun(int Steps, double Epochs, string Stopped, int? BestStep = null, double? BestAccuracy = null);

/// <summary>One network of a levels job: the level asked for (a fraction of the original's FLOPs or parameters) and the network.</summary>
public sealed record LevelOutcome(double Target, FinishedNetwork Network);

/// <summary>
/// One size a budget job fine-tuned and measured: its cost (counts and fractions of the original's), the budget's figure
/// after fine-tuning (<see cref="Budgets.BudgetFigures"/>: held-out accuracy, or the agreement of the output furthest from
/// the original's) and its <paramref name="Drop"/> from the original's, whether that is within the budget, whether it is the
/// network the job hands back, and every held-out figure measured: accuracy (with labels) and each output's agreement with
/// the original.
/// </summary>
public sealed record BudgetCandidate(long Flops, long Params, double FlopsFraction, double ParamsFraction, double Figure, double Drop,
    bool WithinBudget, bool Chosen, double? Accuracy, IReadOnlyList<OutputAgreement> Agreement)
{
    /// <summary>Equal figures are equal candidates: the agreement list compares by its items, not by reference.</summary>
    public bool Equals(BudgetCandidate? other) => other is not null &&
        (Flops, Params, FlopsFraction, ParamsFraction, Figure, Drop, WithinBudget, Chosen, Accuracy) ==
        (other.Flops, other.Params, other.FlopsFraction, other.ParamsFraction, other.Figure, other.Drop, other.WithinBudget, other.Chosen, other.Accuracy) &&
        Agreement.SequenceEqual(other.Agreement);

    public override int GetHashCode() => HashCode.Combine(Flops, Params, Figure, Drop, WithinBudget, Chosen, Agreement.Count);
}

/// <summary>
/// What an unstructured (weight-granularity) job reached: exact zeros among the gated weights, and the
/// share of the network's parameters that are nonzero. The tensors keep their shapes.
/// </summary>
public sealed record WeightSparsity(long GatedWeights, long ZeroWeights, double NonzeroParamsFraction, string Note)
{
    public double Sparsity => GatedWeights == 0 ? 0 : (double)ZeroWeights / GatedWeights;
}

/// <summary>One point of the pruning trajectory, for reports and plots.</summary>
public sealed record TrajectoryPoint(int Step, double FlopsFraction, double ParamsFraction, double? Accuracy, double? Loss);

/// <summary>A job that fails for its own reasons (bad target, NaN loss): not retried.</summary>
public sealed class PruningFailedException(string message) : Exception(message);
