using Shears.Worker.Engine;
using Shears.Worker.Engine.Training;

namespace Shears.Worker.Jobs;

/// <summary>
/// The <c>result</c> object of a succeeded job: the pruned model, the figures before and after, the objective it trained
/// on (labels, distill or both), where the figures were measured (the evalDataset or the validationFraction slice) and
/// <see cref="JobWarnings"/>' sentences (none: empty); <paramref name="FineTuning"/> says how long fine-tuning ran and why
/// it stopped. A levels job lists each level's network in <paramref name="Levels"/> (the smallest is also
/// <paramref name="ModelId"/>); a budget job lists every candidate it fine-tuned in <paramref name="Candidates"/> (the
/// chosen one is <paramref name="ModelId"/>).
/// </summary>
public sealed record JobResult(Guid ModelId, NetworkMetrics Before, NetworkMetrics After, IReadOnlyList<LayerWidth> Layers,
    IReadOnlyList<string> Warnings, string Objective, string EvaluatedOn, FineTuningRun? FineTuning = null,
    IReadOnlyList<JobLevel>? Levels = null, IReadOnlyList<BudgetCandidate>? Candidates = null);

/// <summary>One network of a levels job: the level asked for, the model it is registered as, and its figures.</summary>
public sealed record JobLevel(double Target, Guid ModelId, NetworkMetrics After, IReadOnlyList<LayerWidth> Layers);

/// <summary>
/// What <c>report.json</c> holds: the request (<paramref name="Target"/> as the job gave it: a fraction, levels or a
/// budget), the result (a budget job's every candidate with its figures) and the pruning trajectory; for an unstructured
/// (weight-granularity) job also the sparsity reached and why it does not make dense kernels faster.
/// </summary>
public sealed record JobReport(
    Guid JobId,
    Guid ModelId,
    Guid DatasetId,
    string Method,
    double? TargetFlops,
    double? TargetParams,
    object? Target,
    object Options,
    JobResult Result,
    IReadOnlyList<TrajectoryPoint> Trajectory,
    DateTime FinishedAt,
    WeightSparsity? Sparsity = null,
    IReadOnlyList<ParetoPoint>? Pareto = null);

/// <summary>
/// A row of a levels or budget job's Pareto table (<c>report.json</c>, <c>report.png</c>): a network (the original, a level or
/// a candidate), its cost, held-out figures (accuracy with labels; each output's agreement with the original, none for the
/// original itself) and ONNX Runtime latency (null for a candidate that was measured only for the search).
/// </summary>
public sealed record ParetoPoint(string Network, long? Flops, double FlopsFraction, long? Params, double ParamsFraction, double? Accuracy,
    double? LatencyMs, Guid? ModelId, IReadOnlyList<OutputAgreement>? Agreement = null);
