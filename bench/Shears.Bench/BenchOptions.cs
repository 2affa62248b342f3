namespace Shears.Bench;

/// <summary>Command-line options of the benchmark.</summary>
internal sealed record BenchOptions(string Network, int Threads, int Rounds, int StepsPerRound, double[] FlopsTargets, double FineTuneEpochs, int StepsPerPrune, string? Output, double? Job, bool StepsOnly)
{
    public static BenchOptions Parse(string[] args)
    {
        string Value(string name, string fallback)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
        }

        return new BenchOptions(
            Value("--network", "tests/fixtures/lenet5.onnx"),
            int.Parse(Value("--threads", "1")),
            int.Parse(Value("--rounds", "3")),
            int.Parse(Value("--steps", "60")),
            [.. Value("--targets", "0.5,0.25,0.1").Split(',').Select(double.Parse)],
            double.Parse(Value("--fine-tune-epochs", "1")),
            int.Parse(Value("--steps-per-prune", "10")),
            args.Contains("--no-write") ? null : Value("--out", "docs/benchmarks.md"),
            args.Contains("--job") ? double.Parse(Value("--job", "0.5"), System.Globalization.CultureInfo.InvariantCulture) : null,
            args.Contains("--steps-only"));
    }
}
