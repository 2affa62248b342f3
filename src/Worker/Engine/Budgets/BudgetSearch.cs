using System.Text.Json;
using Shears.Domain.Jobs;
using Shears.Worker.Engine.Checkpoints;
using Shears.Worker.Engine.Training;

namespace Shears.Worker.Engine.Budgets;

/// <summary>
/// A budget job (<c>{"accuracyDrop": 0.01}</c>, <c>{"agreementDrop": 0.02}</c>): the smallest network whose held-out figure
/// after fine-tuning is at most the drop below the original's (<see cref="BudgetFigures"/>). The method prunes once down to the smallest candidate size (<see cref="Sizes"/>), capturing
/// the network at every size on the way; then a bisection over the candidates (the distinct networks captured: sizes passed
/// by one removal share one), largest to smallest, fine-tunes and measures
/// one at a time (a candidate within the budget moves the search to smaller ones, one outside it to larger ones), and the
/// smallest candidate found within the budget is finished. Every candidate tried is reported with its figures. The search
/// is kept in the job's checkpoints, so an interrupted job resumes at the candidate it was fine-tuning.
/// </summary>
public sealed class BudgetSearch : ICheckpointed
{
    /// <summary>Candidate sizes, fractions of the original's cost: finer where small networks are decided.</summary>
    public static readonly IReadOnlyList<double> Sizes = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.07, 0.05];

    /// <summary>One candidate fine-tuned and measured: its stop on the trajectory and its figures.</summary>
    private sealed record Tried(int Stop, BudgetCandidate Candidate);

    private readonly TrajectoryStops stops;
    private readonly List<Tried> tried = [];
    private NetworkSnapshot? best;

    private BudgetSearch(QualityBudget budget, IReadOnlyList<double> sizes) => stops = new TrajectoryStops(budget.By, sizes);

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
    /// <param name="measure">The session's current network's held-out figures, its agreement with the original's included.</param>
    /// <param name="finish">Shrinks, checks and measures the session's current network.</param>
    public static (FinishedNetwork Network, IReadOnlyList<BudgetCandidate> Candidates) Run(PruningSession session, QualityBudget budget,
        IReadOnlyList<double> sizes, NetworkMetrics before, Action<TrajectoryStops> prune, Func<NetworkFigures> measure, Func<FinishedNetwork> finish)
    {
        if (budget.Figure == BudgetFigure.Accuracy && before.Accuracy is null)
            throw BudgetFigures.NoAccuracy();
        var search = new BudgetSearch(budget, sizes);
        session.Checkpoints.Attach(search);
        if (!session.Checkpoints.ResumesIn(TrainingPhase.FineTuning))
            search.stops.Follow(session, prune);
        session.Progress.Plan.PlanRuns(TrainingPhase.FineTuning, Math.Max(1, (int)Math.Ceiling(Math.Log2(search.Candidates().Count + 1)) - search.tried.Count), session.FineTuningStepsAtMost);
        while (search.Next() is { } next)
        {
            var stop = search.stops.Taken[next];
            session.Progress.Log($"Candidate at {stop.FlopsFraction:P1} of the FLOPs, {stop.ParamsFraction:P1} of the parameters: fine-tuning to measure it against the budget ({budget.FieldName} {budget.Drop:G3}).");
            stop.Network!.RestoreInto(session);
            FineTuning.Run(session, session.FineTuningSteps);
            var figures = measure();
            var (figure, drop) = BudgetFigures.Of(budget, figures, before.Accuracy);
            var within = drop <= budget.Drop + 1e-12;
            search.tried.Add(new Tried(next, new BudgetCandidate(session.Cost.Current.Flops, session.Cost.Current.Params, session.Cost.FlopsFraction,
                session.Cost.ParamsFraction, figure, drop, within, Chosen: false, figures.Accuracy, figures.Agreement)));
            if (within)
                search.best = NetworkSnapshot.Capture(session);
            search.DropOutside();
            session.Progress.Log($"Candidate at {stop.FlopsFraction:P1} of the FLOPs: {BudgetFigures.Describe(budget, figures, figure)}, {drop:G3} from the original " +
                $"({(within ? "within" : "outside")} the budget of {budget.Drop:G3}).");
        }
        var chosen = search.Chosen();
        if (chosen < 0 || search.best is null)
        {
            var largest = search.tried.MinBy(t => t.Stop)!.Candidate;
            throw new PruningFailedException($"No candidate holds the budget: the largest tried, {largest.FlopsFraction:P1} of the FLOPs, " +
                $"came {largest.Drop:G3} from the original after fine-tuning ({budget.FieldName} {budget.Drop:G3}; its figure {largest.Figure:G4}). " +
                "Give a larger drop, or more fine-tuning (options.epochs).");
        }
        search.best.RestoreInto(session);
        session.Progress.Plan.Enter("finishing");
        var network = finish();
        var candidates = search.tried
            .Select(t => t.Candidate with { Chosen = t.Stop == chosen })
            .OrderByDescending(c => budget.By == CostMetric.Flops ? c.FlopsFraction : c.ParamsFraction)
            .ToList();
        return (network, candidates);
    }

    /// <summary>
    /// The first stop of each distinct network: a removal (or an l0 projection) that passes more than one size captures one
    /// network for all of them, and fine-tuning it once per size would only measure the same network again (LeNet-5 by Fisher
    /// on 6,000 images: the 35%, 30% and 25% stops all held the network at 21.5% of the FLOPs, its channel blocks of 8 leaving
    /// nothing between 39.3% and 21.5%). Stops of one capture share its figures.
    /// </summary>
    private List<int> Candidates() =>
        [.. Enumerable.Range(0, stops.Taken.Count).Where(i => i == 0 || !SameCapture(stops.Taken[i - 1], stops.Taken[i]))];

    private static bool SameCapture(TrajectoryStops.Reached a, TrajectoryStops.Reached b) =>
        a.FlopsFraction == b.FlopsFraction && a.ParamsFraction == b.ParamsFraction;

    /// <summary>The candidate (position in <see cref="Candidates"/>) whose network stop <paramref name="stop"/> holds.</summary>
    private static int CandidateOf(List<int> candidates, int stop) => candidates.FindLastIndex(first => first <= stop);

    /// <summary>The smallest candidate within the budget so far (−1: none yet).</summary>
    private int Lowest(List<int> candidates) =>
        tried.Where(t => t.Candidate.WithinBudget).Select(t => CandidateOf(candidates, t.Stop)).DefaultIfEmpty(-1).Max();

    /// <summary>The largest candidate outside the budget so far (the count of candidates: none yet).</summary>
    private int Highest(List<int> candidates) =>
        tried.Where(t => !t.Candidate.WithinBudget).Select(t => CandidateOf(candidates, t.Stop)).DefaultIfEmpty(candidates.Count).Min();

    /// <summary>The first stop of the bisection's next candidate between the smallest within and the largest outside the budget; null when they are neighbours.</summary>
    private int? Next()
    {
        var candidates = Candidates();
        var (low, high) = (Lowest(candidates), Highest(candidates));
        return high - low > 1 ? candidates[(low + high) / 2] : null;
    }

    /// <summary>The first stop of the smallest candidate within the budget (−1: none).</summary>
    private int Chosen()
    {
        var candidates = Candidates();
        var low = Lowest(candidates);
        return low < 0 ? -1 : candidates[low];
    }

    /// <summary>Networks no longer between the two bounds will not be fine-tuned: their snapshots go (checkpoints stay small).</summary>
    private void DropOutside()
    {
        var candidates = Candidates();
        var (low, high) = (Lowest(candidates), Highest(candidates));
        for (var i = 0; i < stops.Taken.Count; i++)
            if (CandidateOf(candidates, i) is var candidate && (candidate <= low || candidate >= high))
                stops.Drop(i);
    }

    public void Save(CheckpointData data)
    {
        stops.Save(data);
        data.PutBytes("budget/tried", JsonSerializer.SerializeToUtf8Bytes(tried));
        best?.SaveInto(data, "budget/best");
    }

    public void Restore(CheckpointData data)
    {
        stops.Restore(data);
        tried.Clear();
        tried.AddRange(JsonSerializer.Deserialize<List<Tried>>(data.Bytes("budget/tried")) ?? []);
        best = data.Part("budget/best").Tensors.Count > 0 ? NetworkSnapshot.Load(data, "budget/best") : null;
    }
}
