namespace Shears.Domain.Jobs;

/// <summary>
/// The held-out figure a budget holds: top-1 accuracy on the labels, or agreement with the original network (top-1
/// agreement for [N, C] class outputs, relative error ‖s − t‖/‖t‖ for every other output).
/// </summary>
public enum BudgetFigure
{
    Accuracy,
    Agreement,
}

/// <summary>
/// Ask for the quality, get the size (<c>{"accuracyDrop": 0.01}</c>, optionally <c>"by": "params"</c>): the smallest network,
/// by <paramref name="By"/>, whose held-out <paramref name="Figure"/> after fine-tuning is at most <paramref name="Drop"/>
/// below the original's: accuracy at least the original's minus the drop; or, for agreement, every class output agreeing with
/// the original's top-1 on at least 1 − drop of the rows and every other output within a relative error of the drop.
/// </summary>
public sealed record QualityBudget(BudgetFigure Figure, double Drop, CostMetric By)
{
    /// <summary>The figure's name in the target object.</summary>
    public string FieldName => Figure == BudgetFigure.Accuracy ? "accuracyDrop" : "agreementDrop";
}
