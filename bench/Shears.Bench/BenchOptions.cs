using System.CommandLine;
using System.Globalization;
using Shears.Domain.Jobs;

namespace Shears.Bench;

/// <summary>Command-line options of the benchmark (System.CommandLine: typed values, --help and errors for free).</summary>
internal sealed record BenchOptions(string Network, int Threads, int Rounds, int StepsPerRound, PruningMethod[] Methods, double[] FlopsTargets,
    double FineTuneEpochs, int StepsPerPrune, string Cost, string? JobOptions, string? Output, SweepJob? Job, bool StepsOnly, IReadOnlyList<int[]> Widths,
    bool Zoo, IReadOnlyList<string> ZooNetworks, bool Defaults, IReadOnlyList<string> DefaultsJobs, int? DefaultsCase, int? DefaultsTrainSamples, int? DefaultsTestSamples, bool Budgets, int? BudgetsCase)
{
    private static readonly Option<string> NetworkOption = new("--network") { DefaultValueFactory = _ => "tests/fixtures/lenet5.onnx", Description = "ONNX network to prune (input 1×28×28)." };
    private static readonly Option<int> ThreadsOption = new("--threads") { DefaultValueFactory = _ => 1, Description = "Intra-op threads for training and ONNX Runtime." };
    private static readonly Option<int> RoundsOption = new("--rounds") { DefaultValueFactory = _ => 3, Description = "Alternating rounds of the step timings." };
    private static readonly Option<int> StepsOption = new("--steps") { DefaultValueFactory = _ => 60, Description = "Timed steps per round." };
    private static readonly Option<PruningMethod[]> MethodsOption = new("--methods")
    {
        DefaultValueFactory = _ => [PruningMethod.Fisher],
        CustomParser = result =>
        {
            var names = CommaSeparated(result.Tokens.Single().Value);
            if (names.FirstOrDefault(name => !PruningMethodNames.TryParse(name, out _)) is { } unknown)
                result.AddError($"Unknown method '{unknown}': use {string.Join(", ", PruningMethodNames.All)}.");
            return [.. names.Where(name => PruningMethodNames.TryParse(name, out _)).Select(ParseMethod)];
        },
        Description = "Comma-separated methods to sweep: magnitude,fisher,l0.",
    };
    private static readonly Option<double[]> TargetsOption = new("--targets")
    {
        DefaultValueFactory = _ => [0.5, 0.25, 0.1],
        CustomParser = result =>
        {
            var fractions = CommaSeparated(result.Tokens.Single().Value);
            var valid = fractions.Select(t => double.TryParse(t, CultureInfo.InvariantCulture, out var f) && f is > 0 and < 1 ? f : double.NaN).ToArray();
            if (valid.Any(double.IsNaN))
                result.AddError($"--targets takes fractions between 0 and 1, e.g. 0.5,0.25,0.1 (got '{result.Tokens.Single().Value}').");
            return valid;
        },
        Description = "Comma-separated FLOPs fractions to keep.",
    };
    private static readonly Option<double> FineTuneOption = new("--fine-tune-epochs") { DefaultValueFactory = _ => 1, Description = "Fine-tuning epochs (magnitude, fisher); the whole job's epochs for l0." };
    private static readonly Option<int> StepsPerPruneOption = new("--steps-per-prune") { DefaultValueFactory = _ => 10, Description = "Fisher: training steps per removal." };
    private static readonly Option<string> CostOption = new("--cost") { DefaultValueFactory = _ => "target", Description = "Fisher: what ΔC counts, target (FLOPs) or latency (measured)." };
    private static readonly Option<string?> JobOptionsOption = new("--options") { Description = "More job options, as JSON the API takes, over the flags above, e.g. {\"schedule\": \"cosine\", \"minWidth\": 0.5}." };
    private static readonly Option<string> OutOption = new("--out") { DefaultValueFactory = _ => "docs/benchmarks.md", Description = "Markdown report to write." };
    private static readonly Option<bool> NoWriteOption = new("--no-write") { Description = "Print the report only." };
    private static readonly Option<bool> StepsOnlyOption = new("--steps-only") { Description = "Only the step timings, no pruning jobs." };
    private static readonly Option<int[][]> WidthsOption = new("--widths")
    {
        DefaultValueFactory = _ => [],
        CustomParser = result =>
        {
            var sets = result.Tokens.Single().Value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var parsed = sets.Select(set => CommaSeparated(set).Select(w => int.TryParse(w, out var n) && n > 0 ? n : 0).ToArray()).ToArray();
            if (parsed.Any(set => set.Contains(0)))
                result.AddError("--widths takes sets of positive channel counts, one per group, e.g. 4,4,16,16,16,16;4,4,12,12,24,24.");
            return parsed;
        },
        Description = "Only time the network cut to these widths (one per channel group; sets separated by ';') side by side with the original.",
    };
    private static readonly Option<bool> ZooOption = new("--zoo")
    {
        Description = "Prune every network of tests/fixtures/zoo to 50% FLOPs with each of --methods and write the table (groups, FLOPs, params, ORT speed-up) to --out, docs/zoo-bench.md unless given.",
    };
    private static readonly Option<string[]> ZooNetworksOption = new("--zoo-networks")
    {
        DefaultValueFactory = _ => [],
        CustomParser = result => CommaSeparated(result.Tokens.Single().Value),
        Description = "With --zoo: only these networks, e.g. efficientnet,mobilenet_v3.",
    };
    private static readonly Option<bool> DefaultsOption = new("--defaults")
    {
        Description = "Issue 17's default-options jobs (LeNet-5, MLP, small ResNet, MobileNetV2, ResNet-18; no epochs, steps or learning rate), one after another, into --out, docs/defaults-bench.md unless given. Needs a quiet machine.",
    };
    private static readonly Option<string[]> DefaultsJobsOption = new("--defaults-jobs", "--budgets-jobs")
    {
        DefaultValueFactory = _ => [],
        CustomParser = result => CommaSeparated(result.Tokens.Single().Value),
        Description = "With --defaults or --budgets: only the jobs whose name contains one of these, e.g. \"lenet5 fisher,mlp\" or \"fisher accuracyDrop\" (--budgets runs its evalDataset jobs only when named, e.g. \"unseen\").",
    };
    private static readonly Option<int?> TrainSamplesOption = new("--train-samples") { Description = "With --defaults or --budgets: at most this many training images per job (a smoke run)." };
    private static readonly Option<int?> TestSamplesOption = new("--test-samples") { Description = "With --defaults or --budgets: at most this many test images per job." };
    private static readonly Option<bool> BudgetsOption = new("--budgets")
    {
        Description = "Issue 17's budget claims on LeNet-5 by each of --methods (one lane each, side by side) with default options: an accuracyDrop 0.01 job's FLOPs against 30%, and a flops [0.5, 0.25, 0.1] job's wall time against the three one-target jobs one after another; into --out, docs/budgets-bench.md unless given. Needs a quiet machine.",
    };
    private static readonly Option<int?> BudgetsCaseOption = new("--budgets-case") { Description = "Child mode: run one --budgets job by index.", Hidden = true };
    private static readonly Option<int?> DefaultsCaseOption = new("--defaults-case") { Description = "Child mode: run one --defaults job by index.", Hidden = true };
    private static readonly Option<string?> JobOption = new("--job") { Description = "Child mode: run one job, e.g. fisher:0.25, and print its result as JSON.", Hidden = true };

    /// <summary>The parsed options, or null after --help or a usage error (already printed).</summary>
    public static BenchOptions? Parse(string[] args)
    {
        var root = new RootCommand("Shears engine benchmark: training-step costs side by side, and pruning sweeps on Fashion-MNIST.")
        {
            NetworkOption, ThreadsOption, RoundsOption, StepsOption, MethodsOption, TargetsOption, FineTuneOption, StepsPerPruneOption, CostOption, JobOptionsOption,
            OutOption, NoWriteOption, StepsOnlyOption, WidthsOption, ZooOption, ZooNetworksOption, DefaultsOption, DefaultsJobsOption, TrainSamplesOption, TestSamplesOption,
            DefaultsCaseOption, JobOption, BudgetsOption, BudgetsCaseOption,
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 || parsed.Action is not null)
        {
            parsed.Invoke();
            return null;
        }
        return new BenchOptions(
            parsed.GetValue(NetworkOption)!, parsed.GetValue(ThreadsOption), parsed.GetValue(RoundsOption), parsed.GetValue(StepsOption),
            parsed.GetValue(MethodsOption)!, parsed.GetValue(TargetsOption)!, parsed.GetValue(FineTuneOption), parsed.GetValue(StepsPerPruneOption), parsed.GetValue(CostOption)!, parsed.GetValue(JobOptionsOption),
            parsed.GetValue(NoWriteOption) ? null : parsed.GetResult(OutOption) is null or { Implicit: true } ? DefaultOut(parsed) : parsed.GetValue(OutOption),
            parsed.GetValue(JobOption) is { } job ? SweepJob.Parse(job) : null,
            parsed.GetValue(StepsOnlyOption), parsed.GetValue(WidthsOption)!, parsed.GetValue(ZooOption), parsed.GetValue(ZooNetworksOption)!,
            parsed.GetValue(DefaultsOption), parsed.GetValue(DefaultsJobsOption)!, parsed.GetValue(DefaultsCaseOption), parsed.GetValue(TrainSamplesOption), parsed.GetValue(TestSamplesOption),
            parsed.GetValue(BudgetsOption), parsed.GetValue(BudgetsCaseOption));
    }

    private static string DefaultOut(ParseResult parsed) =>
        parsed.GetValue(ZooOption) ? "docs/zoo-bench.md" : parsed.GetValue(DefaultsOption) ? "docs/defaults-bench.md"
        : parsed.GetValue(BudgetsOption) ? "docs/budgets-bench.md" : parsed.GetValue(OutOption)!;

    private static string[] CommaSeparated(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    internal static PruningMethod ParseMethod(string name) =>
        PruningMethodNames.TryParse(name, out var method) ? method : throw new ArgumentException($"Unknown method '{name}': use one of {string.Join(", ", PruningMethodNames.All)}.");
}

/// <summary>One pruning job of the sweep: a method and the FLOPs fraction to keep.</summary>
internal sealed record SweepJob(PruningMethod Method, double Target)
{
    public static SweepJob Parse(string text)
    {
        var parts = text.Split(':');
        return new SweepJob(BenchOptions.ParseMethod(parts[0]), double.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    public override string ToString() => $"{Method.ToWire()}:{Target.ToString(CultureInfo.InvariantCulture)}";
}
