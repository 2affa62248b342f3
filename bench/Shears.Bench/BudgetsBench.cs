using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Shears.Domain.Jobs;
using Shears.Worker.Data;
using Shears.Worker.Engine;

namespace Shears.Bench;

/// <summary>
/// One job of the budgets benchmark: LeNet-5 by a method with default options, asked for a budget, for levels or for one
/// size. <paramref name="UnseenEval"/>: the job's figures are measured on the first half of the test images (its
/// evalDataset, images the original never trained on) and its network's test accuracy on the other half.
/// </summary>
internal sealed record BudgetsCase(PruningMethod Method, string Kind, PruningTarget Target, bool UnseenEval = false)
{
    public string Name => $"{Method.ToWire()} {Kind}";
}

/// <summary>One network a job handed back: its FLOPs and parameters kept, its held-out accuracy in the job and its test accuracy in ONNX Runtime.</summary>
internal sealed record BudgetsNetwork(double FlopsFraction, double ParamsFraction, double? HeldOutAccuracy, double TestAccuracy);

/// <summary>
/// What one job of the benchmark reached and how long it took, ONNX in to ONNX out; the original's held-out accuracy in the
/// job; candidates for a budget job; the 1-minute load average when the job started and ended; why it failed, when it did
/// (a budget no candidate holds).
/// </summary>
internal sealed record BudgetsRow(string Case, string Method, string Kind, int TrainSamples, int TestSamples, double OriginalTestAccuracy, double? OriginalHeldOutAccuracy,
    double WallSeconds, string Load, IReadOnlyList<BudgetsNetwork> Networks, IReadOnlyList<BudgetCandidate> Candidates, string? Failed = null);

/// <summary>
/// <c>--budgets</c>: issue 17's two claims about budgets, measured with default options on LeNet-5 by each of
/// <c>--methods</c>. An <c>accuracyDrop: 0.01</c> job ends at or below 30% of the FLOPs; a <c>flops: [0.5, 0.25, 0.1]</c>
/// job costs less wall time than the three one-target jobs run one after another. Each method is a lane whose jobs run one
/// after another, each in a child process so its wall time is its own; the lanes run side by side, so a method's levels job
/// and its three one-target jobs meet the same machine (docs/budgets-bench.md).
/// </summary>
internal static class BudgetsBench
{
    public const double FlopsGoal = 0.3;
    private static readonly double[] Levels = [0.5, 0.25, 0.1];
    private const string Budget = "accuracyDrop 0.01";
    private const string BudgetOnUnseen = "accuracyDrop 0.01, evalDataset: unseen images";
    private const string LevelsJob = "flops [0.5, 0.25, 0.1]";

    /// <summary>
    /// Per method: the budget job, the levels job, the three one-target jobs, then the budget job measured on images the
    /// original never saw (only with <c>--budgets-jobs</c> naming it).
    /// </summary>
    public static IReadOnlyList<BudgetsCase> Cases(IReadOnlyList<PruningMethod> methods) =>
    [
        .. methods.SelectMany(method => new[]
        {
            new BudgetsCase(method, Budget, AccuracyDrop()),
            new BudgetsCase(method, LevelsJob, new PruningTarget(Levels.Min(), null) { Levels = new TargetLevels(CostMetric.Flops, Levels) }),
        }.Concat(Levels.Select(level => new BudgetsCase(method, Single(level), new PruningTarget(level, null))))
         .Append(new BudgetsCase(method, BudgetOnUnseen, AccuracyDrop(), UnseenEval: true))),
    ];

    private static PruningTarget AccuracyDrop() => new(null, null) { Budget = new QualityBudget(BudgetFigure.Accuracy, 0.01, CostMetric.Flops) };

    private static bool Selected(BudgetsCase job, IReadOnlyList<string> only) =>
        only.Count > 0 ? only.Any(name => job.Name.Contains(name, StringComparison.Ordinal)) : !job.UnseenEval;

    private static string Single(double level) => $"flops {level.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>One lane per method, side by side; a lane's jobs one after another, each in a child process.</summary>
    public static IReadOnlyList<BudgetsRow> Run(BenchOptions options, string[] args)
    {
        var cases = Cases(options.Methods);
        var lanes = options.Methods.Select(method => Task.Run(() => cases
            .Select((job, index) => (job, index))
            .Where(c => c.job.Method == method && Selected(c.job, options.DefaultsJobs))
            .Select(c =>
            {
                Console.WriteLine($"[{c.job.Name}] starting, load {MachineFacts.LoadAverage()}");
                var row = ChildProcess.Run<BudgetsRow>([.. args, "--budgets-case", c.index.ToString(CultureInfo.InvariantCulture)], c.job.Name);
                Console.WriteLine($"[{c.job.Name}] row: {JsonSerializer.Serialize(row)}");
                return row;
            })
            .ToList())).ToList();
        Task.WaitAll(lanes);
        return [.. lanes.SelectMany(lane => lane.Result)];
    }

    /// <summary>Child mode: one case, in this process.</summary>
    public static BudgetsRow RunCase(BenchOptions options, int index)
    {
        var job = Cases(options.Methods)[index];
        var original = File.ReadAllBytes("tests/fixtures/lenet5.onnx");
        var train = DefaultsBench.Take(FashionMnist.Train(), options.DefaultsTrainSamples);
        var allTest = DefaultsBench.Take(FashionMnist.Test(), options.DefaultsTestSamples);
        var half = allTest.Samples / 2;
        var (eval, test) = job.UnseenEval ? (DefaultsBench.Rows(allTest, 0, half), DefaultsBench.Rows(allTest, half, allTest.Samples - half)) : (null, allTest);
        var originalTest = PruningSweep.TestAccuracy(original, test);

        var loadBefore = MachineFacts.LoadAverage();
        var started = Stopwatch.StartNew();
        var request = new PruneRequest(original, train, job.Method, job.Target, new PruningOptions(), EvalDataset: eval is null ? null : (JobDataset)eval);
        PruneOutcome outcome;
        try
        {
            outcome = new PruningEngine(new EngineSettings(options.Threads, LatencyRepeats: 25, LatencyRounds: 20))
                .Run(request, new SilentProgress(verbose: true), CancellationToken.None);
        }
        catch (PruningFailedException failed)
        {
            return new BudgetsRow(job.Name, job.Method.ToWire(), job.Kind, train.Samples, test.Samples, originalTest, null, started.Elapsed.TotalSeconds,
                $"{loadBefore} → {MachineFacts.LoadAverage()}", [], [], failed.Message);
        }
        var wall = started.Elapsed.TotalSeconds;
        var load = $"{loadBefore} → {MachineFacts.LoadAverage()}";

        BudgetsNetwork Network(byte[] onnx, NetworkMetrics after) =>
            new((double)after.Flops / outcome.Before.Flops, (double)after.Params / outcome.Before.Params, after.Accuracy, PruningSweep.TestAccuracy(onnx, test));
        var networks = outcome.Levels is { } levels
            ? levels.Select(l => Network(l.Network.PrunedOnnx, l.Network.After)).ToList()
            : [Network(outcome.PrunedOnnx, outcome.After)];
        return new BudgetsRow(job.Name, job.Method.ToWire(), job.Kind, train.Samples, test.Samples, originalTest, outcome.Before.Accuracy, wall, load,
            networks, outcome.Candidates ?? []);
    }

    public static string Markdown(IReadOnlyList<BudgetsRow> rows, string[] args)
    {
        var ic = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("# Budgets and levels (issue 17)");
        md.AppendLine();
        md.AppendLine("Measured by `bench/Shears.Bench` in one run: one lane per method, side by side; a lane's jobs one after another, each in its own process:");
        md.AppendLine();
        md.AppendLine("```");
        md.AppendLine($"dotnet run -c Release --project bench/Shears.Bench -- {string.Join(' ', args)}".TrimEnd());
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine($"LeNet-5 (tests/fixtures/lenet5.onnx), default options (no epochs, steps or learning rate), Fashion-MNIST ({rows[0].TrainSamples:N0} training images, " +
            $"of which the job holds 10% out; {rows[0].TestSamples:N0} test images). Test accuracy: the shrunk ONNX in ONNX Runtime on the test images; held-out: " +
            $"the job's own figure on its held-out slice. Wall: the whole job, ONNX in to ONNX out; load: the 1-minute load average of the machine " +
            $"({Environment.ProcessorCount} cores) when the job started and ended.");
        md.AppendLine();
        md.AppendLine($"## accuracyDrop 0.01 ends at or below {FlopsGoal:P0} of the FLOPs");
        md.AppendLine();
        md.AppendLine("Figures on: `held-out slice`, the job's default (10% of its training images, which the original trained on); `unseen images`, the job given " +
            "the first half of the test images as its evalDataset (the budget's figure measured there), its network's test accuracy on the other half.");
        md.AppendLine();
        md.AppendLine("| method | figures on | FLOPs kept | ≤ 30%? | test accuracy before → after (Δ pt) | job's figure before → after | candidates (FLOPs: job's figure, Δ pt, within?) | wall | load |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var budget in rows.Where(r => r.Kind is Budget or BudgetOnUnseen))
        {
            var on = budget.Kind == Budget ? "held-out slice" : $"unseen images ({budget.TestSamples:N0} + {budget.TestSamples:N0})";
            if (budget.Failed is not null)
            {
                md.AppendLine(ic, $"| {budget.Method} | {on} | failed: {budget.Failed} | no | | | | {budget.WallSeconds:0} s | {budget.Load} |");
                continue;
            }
            var chosen = budget.Networks[0];
            md.AppendLine(ic, $"| {budget.Method} | {on} | {chosen.FlopsFraction:P1} | {(chosen.FlopsFraction <= FlopsGoal + 1e-9 ? "yes" : "no")} | " +
                $"{budget.OriginalTestAccuracy:P2} → {chosen.TestAccuracy:P2} ({Points(chosen.TestAccuracy - budget.OriginalTestAccuracy)}) | " +
                $"{budget.OriginalHeldOutAccuracy:P2} → {chosen.HeldOutAccuracy:P2} | " +
                $"{string.Join("; ", budget.Candidates.Select(c => $"{c.FlopsFraction:P1}: {c.Figure:P2}, {Points(-c.Drop)}, {(c.WithinBudget ? "yes" : "no")}{(c.Chosen ? " (chosen)" : "")}"))} | " +
                $"{budget.WallSeconds:0} s | {budget.Load} |");
        }
        md.AppendLine();
        md.AppendLine("## One levels job against three one-target jobs");
        md.AppendLine();
        md.AppendLine("| method | levels job wall | three one-target jobs, one after another | levels / three (below 1: cheaper) | loads (levels; singles) |");
        md.AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var method in rows.Where(r => r.Kind == LevelsJob).Select(r => r.Method))
        {
            var levels = rows.Single(r => r.Method == method && r.Kind == LevelsJob);
            var singles = rows.Where(r => r.Method == method && r.Kind.StartsWith("flops 0", StringComparison.Ordinal)).ToList();
            var singlesWall = singles.Sum(r => r.WallSeconds);
            md.AppendLine(ic, $"| {method} | {levels.WallSeconds:0} s | {singlesWall:0} s ({string.Join(" + ", singles.Select(s => $"{s.WallSeconds:0}"))}) | " +
                $"**{levels.WallSeconds / singlesWall:0.00}** | {levels.Load}; {string.Join(", ", singles.Select(s => s.Load))} |");
        }
        md.AppendLine();
        md.AppendLine("| method | level | levels job: FLOPs, held-out, test accuracy (Δ pt) | one-target job: FLOPs, held-out, test accuracy (Δ pt) |");
        md.AppendLine("| --- | --- | --- | --- |");
        foreach (var method in rows.Where(r => r.Kind == LevelsJob).Select(r => r.Method))
        {
            var levels = rows.Single(r => r.Method == method && r.Kind == LevelsJob);
            for (var i = 0; i < Levels.Length; i++)
            {
                var single = rows.SingleOrDefault(r => r.Method == method && r.Kind == Single(Levels[i]));
                md.AppendLine(ic, $"| {method} | {Levels[i]:P0} | {Describe(levels, i)} | {(single is null ? "not run" : Describe(single, 0))} |");
            }
        }
        return md.ToString();
    }

    private static string Describe(BudgetsRow row, int network) =>
        row.Failed is not null ? $"failed: {row.Failed}"
        : row.Networks.Count <= network ? "—"
        : string.Create(CultureInfo.InvariantCulture, $"{row.Networks[network].FlopsFraction:P1}, {row.Networks[network].HeldOutAccuracy:P2}, " +
            $"{row.Networks[network].TestAccuracy:P2} ({Points(row.Networks[network].TestAccuracy - row.OriginalTestAccuracy)})");

    private static string Points(double difference) => (difference * 100).ToString("+0.00;-0.00", CultureInfo.InvariantCulture);
}
