using System.Diagnostics;
using System.Globalization;
using System.Text;
using Shears.Domain.Jobs;
using Shears.Worker.Engine;

namespace Shears.Bench;

/// <summary>One job of the budgets benchmark: LeNet-5 by Fisher with default options, asked for a budget, for levels or for one size.</summary>
internal sealed record BudgetsCase(string Name, PruningTarget Target);

/// <summary>One network a job handed back: its FLOPs and parameters kept, and its test accuracy in ONNX Runtime.</summary>
internal sealed record BudgetsNetwork(double FlopsFraction, double ParamsFraction, double TestAccuracy);

/// <summary>
/// What one job of the benchmark reached and how long it took, ONNX in to ONNX out; candidates for a budget job; why it
/// failed, when it did (a budget no candidate holds).
/// </summary>
internal sealed record BudgetsRow(string Case, int TrainSamples, int TestSamples, double OriginalTestAccuracy, double WallSeconds,
    IReadOnlyList<BudgetsNetwork> Networks, IReadOnlyList<BudgetCandidate> Candidates, string? Failed = null);

/// <summary>
/// <c>--budgets</c>: issue 17's two claims about budgets, measured with default options on LeNet-5 by Fisher. An
/// <c>accuracyDrop: 0.01</c> job ends at or below 30% of the FLOPs; a <c>flops: [0.5, 0.25, 0.1]</c> job costs less wall time
/// than the three one-target jobs run one after another. Every job runs in a child process, one after another, so its wall
/// time is its own; the report puts the ratios side by side (docs/budgets-bench.md). Needs a quiet machine.
/// </summary>
internal static class BudgetsBench
{
    private static readonly double[] Levels = [0.5, 0.25, 0.1];

    public static IReadOnlyList<BudgetsCase> Cases() =>
    [
        new("accuracyDrop 0.01", new PruningTarget(null, null) { Budget = new QualityBudget(BudgetFigure.Accuracy, 0.01, CostMetric.Flops) }),
        new("flops [0.5, 0.25, 0.1]", new PruningTarget(Levels.Min(), null) { Levels = new TargetLevels(CostMetric.Flops, Levels) }),
        .. Levels.Select(level => new BudgetsCase($"flops {level}", new PruningTarget(level, null))),
    ];

    public static IReadOnlyList<BudgetsRow> Run(string[] args)
    {
        var cases = Cases();
        return [.. cases.Select((job, index) =>
        {
            Console.WriteLine($"[{job.Name}] starting");
            return ChildProcess.Run<BudgetsRow>([.. args, "--budgets-case", index.ToString(CultureInfo.InvariantCulture)], job.Name);
        })];
    }

    /// <summary>Child mode: one case, in this process.</summary>
    public static BudgetsRow RunCase(BenchOptions options, int index)
    {
        var job = Cases()[index];
        var original = File.ReadAllBytes("tests/fixtures/lenet5.onnx");
        var train = DefaultsBench.Take(FashionMnist.Train(), options.DefaultsTrainSamples);
        var test = DefaultsBench.Take(FashionMnist.Test(), options.DefaultsTestSamples);

        var started = Stopwatch.StartNew();
        var request = new PruneRequest(original, train, PruningMethod.Fisher, job.Target, new PruningOptions());
        PruneOutcome outcome;
        try
        {
            outcome = new PruningEngine(new EngineSettings(options.Threads, LatencyRepeats: 25, LatencyRounds: 20))
                .Run(request, new SilentProgress(verbose: true), CancellationToken.None);
        }
        catch (PruningFailedException failed)
        {
            return new BudgetsRow(job.Name, train.Samples, test.Samples, PruningSweep.TestAccuracy(original, test), started.Elapsed.TotalSeconds, [], [], failed.Message);
        }
        var wall = started.Elapsed.TotalSeconds;

        BudgetsNetwork Network(byte[] onnx, NetworkMetrics after) =>
            new((double)after.Flops / outcome.Before.Flops, (double)after.Params / outcome.Before.Params, PruningSweep.TestAccuracy(onnx, test));
        var networks = outcome.Levels is { } levels
            ? levels.Select(l => Network(l.Network.PrunedOnnx, l.Network.After)).ToList()
            : [Network(outcome.PrunedOnnx, outcome.After)];
        return new BudgetsRow(job.Name, train.Samples, test.Samples, PruningSweep.TestAccuracy(original, test), wall, networks, outcome.Candidates ?? []);
    }

    public static string Markdown(IReadOnlyList<BudgetsRow> rows, string[] args)
    {
        var ic = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("# Budgets and levels (issue 17)");
        md.AppendLine();
        md.AppendLine("Measured by `bench/Shears.Bench` in one run, each job in its own process, one after another (rerun on a quiet machine to refresh):");
        md.AppendLine();
        md.AppendLine("```");
        md.AppendLine($"dotnet run -c Release --project bench/Shears.Bench -- {string.Join(' ', args)}".TrimEnd());
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine($"LeNet-5 by Fisher, default options (no epochs, steps or learning rate), Fashion-MNIST ({rows[0].TrainSamples:N0} training, {rows[0].TestSamples:N0} test images); " +
            "accuracy: the shrunk ONNX in ONNX Runtime on the test images; wall: the whole job, ONNX in to ONNX out.");
        md.AppendLine();
        md.AppendLine("## accuracyDrop 0.01 ends at or below 30% of the FLOPs");
        md.AppendLine();
        foreach (var failed in rows.Where(r => r.Failed is not null))
            md.AppendLine(ic, $"- {failed.Case} failed after {failed.WallSeconds:0} s: {failed.Failed}").AppendLine();
        var budget = rows[0];
        var chosen = budget.Networks.Count > 0 ? budget.Networks[0] : new BudgetsNetwork(double.NaN, double.NaN, double.NaN);
        md.AppendLine("| job | FLOPs kept | asked | FLOPs kept / 30% | test accuracy before → after (Δ pt) | candidates tried (FLOPs: held-out accuracy, within?) | wall |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        md.AppendLine(ic, $"| {budget.Case} | {chosen.FlopsFraction:P1} | ≤ 30% | {chosen.FlopsFraction / 0.3:0.00} | {budget.OriginalTestAccuracy:P2} → {chosen.TestAccuracy:P2} " +
            $"({(chosen.TestAccuracy - budget.OriginalTestAccuracy) * 100:+0.00;-0.00}) | " +
            $"{string.Join("; ", budget.Candidates.Select(c => $"{c.FlopsFraction:P1}: {c.Figure:P2} {(c.WithinBudget ? "yes" : "no")}{(c.Chosen ? " (chosen)" : "")}"))} | {budget.WallSeconds:0} s |");
        md.AppendLine();
        var levels = rows[1];
        var singles = rows.Skip(2).ToList();
        var singlesWall = singles.Sum(r => r.WallSeconds);
        md.AppendLine("## One levels job against three one-target jobs");
        md.AppendLine();
        md.AppendLine(ic, $"Wall time: levels job {levels.WallSeconds:0} s, the three one-target jobs one after another {singlesWall:0} s; levels / three = **{levels.WallSeconds / singlesWall:0.00}** (below 1: the levels job is cheaper).");
        md.AppendLine();
        md.AppendLine("| level | levels job: FLOPs, test accuracy | one-target job: FLOPs, test accuracy, wall |");
        md.AppendLine("| --- | --- | --- |");
        for (var i = 0; i < Math.Min(levels.Networks.Count, singles.Count(s => s.Networks.Count > 0)); i++)
            md.AppendLine(ic, $"| {Levels[i]:P0} | {levels.Networks[i].FlopsFraction:P1}, {levels.Networks[i].TestAccuracy:P2} | " +
                $"{singles[i].Networks[0].FlopsFraction:P1}, {singles[i].Networks[0].TestAccuracy:P2}, {singles[i].WallSeconds:0} s |");
        return md.ToString();
    }
}
