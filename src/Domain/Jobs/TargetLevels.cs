namespace Shears.Domain.Jobs;

/// <summary>What a target's fractions count: <c>flops</c> or <c>params</c> of the original network.</summary>
public enum CostMetric
{
    Flops,
    Params,
}

/// <summary>
/// Several sizes from one job (<c>{"flops": [0.5, 0.25, 0.1]}</c>): one network per fraction of the original's
/// <paramref name="Metric"/>, largest first, taken along one pruning trajectory and each fine-tuned on its own.
/// </summary>
public sealed record TargetLevels(CostMetric Metric, IReadOnlyList<double> Fractions)
{
    /// <summary>Most levels one job may ask for (each is fine-tuned, measured and stored).</summary>
    public const int MaxCount = 8;
}
