using Shears.Domain.Jobs;
using Shears.Worker.Engine.Checkpoints;
using Shears.Worker.Engine.Training;

namespace Shears.Worker.Engine.Budgets;

/// <summary>
/// A budget job (<c>{"accuracyDrop": 0.01}</c>): the smallest network whose held-out figure after fine-tuning is at most the
/// drop below the original's. The method prunes once down to the smallest candidate size (<see cref="Sizes"/>), capturing
/// the network at every size on the way; then a bisection over the candidates, largest to smallest, fine-tunes and measures
/// one at a time (a candidate within the budget moves the search to smaller ones, one outside it to larger ones), and the
/// smallest candidate found within the budget is finished. Every candidate tried is reported with its figure. The search
/// is kept in the job's checkpoints, so an interrupted job resumes at the candidate it was fine-tuning.
/// </summary>
public sealed class BudgetSearch : ICheckpointed
{
    /// <summary>Candidate sizes, fractions of the original's cost: finer where small networks are decided.</summary>
    public static readonly IReadOnlyList<double> Sizes = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.07, 0.05];

    private readonly TrajectoryStops stops;
    private readonly List<(int Stop, double Figure)> tried = [];
    private NetworkSnapshot? best;

    /// <summary>The lowest figure within the budget: the original's minus the drop.</summary>
    private readonly double threshold;

    private BudgetSearch(QualityBudget budget, IReadOnlyList<double> sizes, double threshold) =>
        (stops, this.threshold) = (new TrajectoryStops(budget.By, sizes), threshold);

    /// <summary>
    /// The candidate sizes this network can reach with the job's width rules (the narrowest reachable is the last), and the
    /// target the trajectory runs to.
    /// </summary>
    public static (IReadOnlyList<double> Sizes, PruningTarget Target) Plan(QualityBudget budget, CostTracker cost)
    {
        var narrowest = cost.NarrowestFraction(budget.By);
        var sizes = Sizes.Where(s => s > narrowest + 1e-3).ToList();
        if (sizes.Count == 0)
            throw new PruningFailedException($"Nothing to search: with every prunable group at its narrowest allowed width the network still has {narrowest:P1} of its {TargetJson.Name(budget.By)}.");
        var end = sizes[^1];
        return (sizes, new PruningTarget(budget.By == CostMetric.Flops ? end : null, budget.By == CostMetric.Params ? end : null) { Budget = budget });
    }

    /// <param name="before">The original network's figures.</param>
    /// <param name="prune">The method's pruning without its fine-tuning.</param>
    /// <param name="finish">Shrinks, checks and measures the session's current network.</param>
    public static (FinishedNetwork Network, IReadOnlyList<BudgetCandidate> Candidates) Run(PruningSession session, QualityBudget budget,
        IReadOnlyList<double> sizes, NetworkMetrics before, Action prune, Func<FinishedNetwork> finish)
    {
        var original = Figure(budget, before);
        var floor = original - budget.Drop;
        var search = new BudgetSearch(budget, sizes, floor - 1e-12);
        session.Checkpoints.Attach(search);
        if (!session.Checkpoints.ResumesIn(TrainingPhase.FineTuning))
            search.stops.Follow(session, prune);
        session.Progress.Plan.Plan(TrainingPhase.FineTuning, session.FineTuningStepsAtMost * (int)Math.Ceiling(Math.Log2(sizes.Count + 1)));
        while (search.Next() is { } next)
        {
            var stop = search.stops.Taken[next];
            session.Progress.Log($"Candidate at {stop.FlopsFraction:P1} of the FLOPs, {stop.ParamsFraction:P1} of the parameters: fine-tuning to measure it against the budget ({budget.FieldName} {budget.Drop:G3}).");
            stop.Network!.RestoreInto(session);
            FineTuning.Run(session, session.FineTuningSteps);
            var figure = Evaluation.Accuracy(session.Module, session.Data) ?? throw NoLabels();
            var within = figure >= search.threshold;
            search.tried.Add((next, figure));
            if (within)
                search.best = NetworkSnapshot.Capture(session);
            search.DropOutside();
            session.Progress.Log($"Candidate at {stop.FlopsFraction:P1} of the FLOPs: {Describe(budget)} {figure:P2} ({(within ? "within" : "outside")} the budget: at least {floor:P2}).");
        }
        var chosen = search.Lowest();
        if (chosen < 0 || search.best is null)
        {
            var largest = search.tried.MinBy(t => t.Stop);
            throw new PruningFailedException($"No candidate holds the budget: the largest tried, {search.stops.Taken[largest.Stop].FlopsFraction:P1} of the FLOPs, " +
                $"came to {Describe(budget)} {largest.Figure:P2} after fine-tuning, below {floor:P2} (the original's {original:P2} minus {budget.Drop:G3}). " +
                "Give a larger drop, or more fine-tuning (options.epochs).");
        }
        search.best.RestoreInto(session);
        session.Progress.Plan.Enter("finishing");
        var network = finish();
        var candidates = search.tried
            .Select(t => new BudgetCandidate(search.stops.Taken[t.Stop].FlopsFraction, search.stops.Taken[t.Stop].ParamsFraction, t.Figure, t.Figure >= search.threshold, t.Stop == chosen))
            .OrderByDescending(c => budget.By == CostMetric.Flops ? c.FlopsFraction : c.ParamsFraction)
            .ToList();
        return (network, candidates);
    }

    private static double Figure(QualityBudget budget, NetworkMetrics metrics) => budget.Figure switch
    {
        BudgetFigure.Accuracy => metrics.Accuracy ?? throw NoLabels(),
        _ => throw new PruningFailedException("agreementDrop needs the agreement with the original network, which this worker does not measure yet."),
    };

    private static PruningFailedException NoLabels() =>
        new("accuracyDrop measures held-out accuracy, which needs labels; the dataset has none. Upload labels, or give a target of FLOPs or parameters.");

    private static string Describe(QualityBudget budget) => budget.Figure == BudgetFigure.Accuracy ? "held-out accuracy" : "agreement with the original";

    /// <summary>The smallest candidate within the budget so far (−1: none yet).</summary>
    private int Lowest() => tried.Where(t => t.Figure >= threshold).Select(t => t.Stop).DefaultIfEmpty(-1).Max();

    /// <summary>The largest candidate outside the budget so far (the count of stops: none yet).</summary>
    private int Highest() => tried.Where(t => t.Figure < threshold).Select(t => t.Stop).DefaultIfEmpty(stops.Taken.Count).Min();

    /// <summary>The bisection's next candidate between the smallest within and the largest outside the budget; null when they are neighbours.</summary>
    private int? Next()
    {
        var (low, high) = (Lowest(), Highest());
        return high - low > 1 ? (low + high) / 2 : null;
    }

    /// <summary>Networks no longer between the two bounds will not be fine-tuned: their snapshots go (checkpoints stay small).</summary>
    private void DropOutside()
    {
        var (low, high) = (Lowest(), Highest());
        for (var i = 0; i < stops.Taken.Count; i++)
            if (i <= low || i >= high)
                stops.Drop(i);
    }

    public void Save(CheckpointData data)
    {
        stops.Save(data);
        data.Counters["budget/tried"] = tried.Count;
        for (var i = 0; i < tried.Count; i++)
        {
            data.Counters[$"budget/{i}/stop"] = tried[i].Stop;
            data.Numbers[$"budget/{i}/figure"] = tried[i].Figure;
        }
        best?.SaveInto(data, "budget/best");
    }

    public void Restore(CheckpointData data)
    {
        stops.Restore(data);
        tried.Clear();
        var count = (int)data.Counter("budget/tried");
        for (var i = 0; i < count; i++)
            tried.Add(((int)data.Counter($"budget/{i}/stop"), data.Number($"budget/{i}/figure")));
        best = data.Part("budget/best").Tensors.Count > 0 ? NetworkSnapshot.Load(data, "budget/best") : null;
    }
}
