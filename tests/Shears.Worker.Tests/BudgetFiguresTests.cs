using Shears.Domain.Jobs;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Budgets;
using Shears.Worker.Engine.Training;

namespace Shears.Worker.Tests;

/// <summary>What a budget holds: accuracy below the original's, or each output's shortfall from the original's outputs.</summary>
public class BudgetFiguresTests
{
    private static readonly QualityBudget Agreement = new(BudgetFigure.Agreement, 0.05, CostMetric.Flops);

    [Fact]
    public void An_agreement_budget_is_decided_by_the_output_furthest_from_the_original_class_outputs_by_top1_agreement_others_by_relative_error()
    {
        var classes = new OutputAgreement("logits", Top1Agreement: 0.97, RelativeError: 0.4, Cosine: 0.9);
        var map = new OutputAgreement("heatmap", Top1Agreement: null, RelativeError: 0.08, Cosine: 0.99);

        Assert.Equal((0.97, 0.03), Rounded(BudgetFigures.Of(Agreement, new NetworkFigures(0.5, null, [classes]), 0.9)));
        // The heatmap's relative error (0.08) is further from the original than the class output's 1 − 0.97.
        Assert.Equal((0.08, 0.08), Rounded(BudgetFigures.Of(Agreement, new NetworkFigures(null, null, [classes, map]), null)));
        Assert.Contains("relative error against the original 0.08 ('heatmap')", BudgetFigures.Describe(Agreement, new NetworkFigures(null, null, [classes, map]), 0.08), StringComparison.Ordinal);
    }

    [Fact]
    public void An_accuracy_budget_measures_the_drop_below_the_original_and_refuses_a_job_without_accuracy()
    {
        var accuracy = new QualityBudget(BudgetFigure.Accuracy, 0.01, CostMetric.Flops);
        Assert.Equal((0.88, 0.02), Rounded(BudgetFigures.Of(accuracy, new NetworkFigures(0.88, null, []), 0.9)));
        var refused = Assert.Throws<PruningFailedException>(() => BudgetFigures.Of(accuracy, new NetworkFigures(null, null, []), null));
        Assert.Contains("agreementDrop", refused.Message, StringComparison.Ordinal);
    }

    private static (double, double) Rounded((double Figure, double Drop) measured) => (Math.Round(measured.Figure, 9), Math.Round(measured.Drop, 9));
}
