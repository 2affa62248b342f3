using Shears.Domain.Jobs;
using Shears.Worker.Engine.Training;

namespace Shears.Worker.Engine.Budgets;

/// <summary>
/// The figure a budget holds and how far a network has dropped from the original by it (the budget holds while the drop is at
/// most the budget's). <c>accuracyDrop</c>: held-out accuracy, the drop its distance below the original's. <c>agreementDrop</c>:
/// for each output its shortfall from the original, which agrees with itself perfectly: 1 − top-1 agreement for a class output
/// ([N, C]), the relative error ‖s − t‖/‖t‖ for any other; the drop is the largest shortfall, and the figure that output's
/// agreement (or relative error).
/// </summary>
public static class BudgetFigures
{
    public static (double Figure, double Drop) Of(QualityBudget budget, NetworkFigures figures, double? originalAccuracy)
    {
        if (budget.Figure == BudgetFigure.Accuracy)
        {
            var accuracy = figures.Accuracy ?? throw NoAccuracy();
            return (accuracy, (originalAccuracy ?? throw NoAccuracy()) - accuracy);
        }
        if (figures.Agreement.Count == 0)
            throw new InvalidOperationException("agreementDrop needs the network measured against the original's outputs.");
        var furthest = figures.Agreement.MaxBy(Shortfall)!;
        return (furthest.Top1Agreement ?? furthest.RelativeError, Shortfall(furthest));
    }

    /// <summary>"held-out accuracy 97.10%" or "top-1 agreement with the original 98.50% (logits)": the figure in words.</summary>
    public static string Describe(QualityBudget budget, NetworkFigures figures, double figure)
    {
        if (budget.Figure == BudgetFigure.Accuracy)
            return $"held-out accuracy {figure:P2}";
        var furthest = figures.Agreement.MaxBy(Shortfall)!;
        return furthest.Top1Agreement is not null
            ? $"top-1 agreement with the original {figure:P2} ('{furthest.Output}')"
            : $"relative error against the original {figure:G3} ('{furthest.Output}')";
    }

    private static double Shortfall(OutputAgreement output) => output.Top1Agreement is { } top1 ? 1 - top1 : output.RelativeError;

    /// <summary>An accuracy budget on a job that measures no accuracy.</summary>
    public static PruningFailedException NoAccuracy() =>
        new("accuracyDrop measures held-out accuracy, which needs labels and one class-score output [N, C]; this job has no accuracy to measure. " +
            "Give target.agreementDrop (agreement with the original network), or a target of FLOPs or parameters.");
}
