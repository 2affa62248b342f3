namespace Shears.Domain.Jobs;

/// <summary>The held-out figure a budget holds: top-1 accuracy on the labels, or agreement with the original network.</summary>
public enum BudgetFigure
{
    Accuracy,
    Agreement,
}

/// <summary>
/// Ask for the quality, get the size (<c>{"accuracyDrop": 0.01}</c>, optionally <c>"by": "params"</c>): the smallest network,
/// by <paramref name="By"/>, whose held-out <paramref name="Figure"/> after fine-tuning is at most <paramref name="Drop"/>
/// below the original's.
/// </summary>
public sealed record QualityBudget(BudgetFigure Figure, double Drop, CostMetric By)
{
    /// <summary>The figure's name in the target object.</summary>
    public string FieldName => Figure == BudgetFigure.Accuracy ? "accuracyDrop" : "agreementDrop";
}
