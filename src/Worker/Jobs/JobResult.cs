using Shears.Worker.Engine;

namespace Shears.Worker.Jobs;

/// <summary>
/// The <c>result</c> object of a succeeded job; <paramref name="Warnings"/> are <see cref="JobWarnings"/>' sentences (none: empty);
/// <paramref name="FineTuning"/> says how long fine-tuning ran and why it stopped.
/// </summary>
public sealed record JobResult(Guid ModelId, NetworkMetrics Before, NetworkMetrics After, IReadOnlyList<LayerWidth> Layers,
    IReadOnlyList<string> Warnings, FineTuningRun? FineTuning = null);

/// <summary>
/// What <c>report.json</c> holds: the request, the result and the pruning trajectory; for an unstructured
/// (weight-granularity) job also the sparsity reached and why it does not make dense kernels faster.
/// </summary>
public sealed record JobReport(
    Guid JobId,
    Guid ModelId,
    Guid DatasetId,
    string Method,
    double? TargetFlops,
    double? TargetParams,
    object Options,
    JobResult Result,
    IReadOnlyList<TrajectoryPoint> Trajectory,
    DateTime FinishedAt,
    WeightSparsity? Sparsity = null);
