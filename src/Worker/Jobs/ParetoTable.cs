using Shears.Worker.Engine;

namespace Shears.Worker.Jobs;

/// <summary>
/// The rows of a levels or budget job's Pareto table: the original, then every level (cost, held-out accuracy, ONNX Runtime
/// latency, model) or every candidate the budget search fine-tuned (the chosen one with its latency and model). Null for a
/// job that made one network.
/// </summary>
public static class ParetoTable
{
    /// <param name="modelId">The model the job hands back (a budget job's chosen candidate).</param>
    public static IReadOnlyList<ParetoPoint>? For(PruneOutcome outcome, IReadOnlyList<JobLevel> levels, Guid modelId)
    {
        if (outcome.Levels is null && outcome.Candidates is null)
            return null;
        var before = outcome.Before;
        var rows = new List<ParetoPoint> { new("original", before.Flops, 1, before.Params, 1, before.Accuracy, before.LatencyMs, null) };
        rows.AddRange(levels.Select(level => Row($"level {level.Target:G3}", level.After, before, level.ModelId)));
        foreach (var candidate in outcome.Candidates ?? [])
        {
            rows.Add(candidate.Chosen
                ? Row("chosen candidate", outcome.After, before, modelId)
                : new ParetoPoint(candidate.WithinBudget ? "candidate within the budget" : "candidate outside the budget", candidate.Flops, candidate.FlopsFraction,
                    candidate.Params, candidate.ParamsFraction, candidate.Accuracy, null, null, candidate.Agreement));
        }
        return rows;
    }

    private static ParetoPoint Row(string network, NetworkMetrics after, NetworkMetrics before, Guid? modelId) =>
        new(network, after.Flops, Fraction(after.Flops, before.Flops), after.Params, Fraction(after.Params, before.Params), after.Accuracy, after.LatencyMs, modelId,
            after.Agreement);

    private static double Fraction(long part, long whole) => whole == 0 ? 1 : (double)part / whole;
}
