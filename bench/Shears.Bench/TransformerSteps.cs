using System.CommandLine;
using System.Globalization;
using System.Text;
using Shears.Domain.Datasets;
using Shears.Domain.Jobs;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Training;
using static TorchSharp.torch;

namespace Shears.Bench;

/// <summary>
/// <c>bench steps</c>: issue 15's step claim. A plain training step (labels, cross-entropy, Adam 1e-3) of the zoo's ViT
/// and BERT-style encoder through the engine against the same step in PyTorch (bench/pytorch_step.py: the fixture
/// script's module with the ONNX weights), one thread each, every step a reshuffled batch of all the .npz's samples (64),
/// the text network's tokens repeated to <c>--sequence</c> when given. Rounds alternate engine and PyTorch for each
/// network; reports the median of the round medians and every round, CPU time and wall. Both sides compute the loss of the
/// first batch before any step, which must agree: the proof they run the same network on the same data.
/// </summary>
internal static class TransformerSteps
{
    private static readonly Option<string[]> NetworksOption = new("--networks")
    {
        DefaultValueFactory = _ => ["vit", "bert"],
        CustomParser = result => result.Tokens.Single().Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        Description = "Comma-separated zoo networks bench/pytorch_step.py rebuilds: vit, bert.",
    };
    private static readonly Option<int> SequenceOption = new("--sequence") { DefaultValueFactory = _ => 0, Description = "Token networks: repeat the tokens to this length (0: as stored, 16)." };
    private static readonly Option<int> RoundsOption = new("--rounds") { DefaultValueFactory = _ => 5, Description = "Alternating rounds." };
    private static readonly Option<int> StepsOption = new("--steps") { DefaultValueFactory = _ => 30, Description = "Timed steps per network, side and round (after 10 warm-up steps)." };
    private static readonly Option<int> ThreadsOption = new("--threads") { DefaultValueFactory = _ => 1, Description = "Intra-op threads on both sides." };
    private static readonly Option<string?> BlasOption = new("--pytorch-blas")
    {
        Description = "A folder with an optimised libblas.so.3 (e.g. libopenblas0-pthread's openblas-pthread) put on the PyTorch side's LD_LIBRARY_PATH; Debian's python3-torch otherwise runs on the system's BLAS, netlib's reference one unless another is installed.",
    };
    private static readonly Option<string?> OutOption = new("--out") { Description = "Markdown report to write." };

    private sealed record Rounds(string Network, string Inputs, double EngineFirstLoss, List<StepCost> Engine, List<StepCost> PyTorch, List<double> PyTorchFirstLoss)
    {
        public string Blas { get; set; } = "";
    }

    public static int Run(string[] args)
    {
        var root = new RootCommand("Shears transformer step benchmark (issue 15): a plain training step of the zoo's vit and bert through the engine vs PyTorch.")
        {
            NetworksOption, SequenceOption, RoundsOption, StepsOption, ThreadsOption, BlasOption, OutOption,
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 || parsed.Action is not null)
        {
            parsed.Invoke();
            return 2;
        }
        var (sequence, rounds, steps, threads) = (parsed.GetValue(SequenceOption), parsed.GetValue(RoundsOption), parsed.GetValue(StepsOption), parsed.GetValue(ThreadsOption));
        set_num_threads(threads);
        var environment = new Dictionary<string, string> { ["OPENBLAS_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture) };
        if (parsed.GetValue(BlasOption) is { } blas)
            environment["LD_LIBRARY_PATH"] = Path.GetFullPath(blas);
        var loadBefore = MachineFacts.LoadAverage();
        var engines = parsed.GetValue(NetworksOption)!.Select(network => EngineStep.Create(network, sequence)).ToList();
        var results = engines.Select(e => new Rounds(e.Network, e.Inputs, e.FirstLoss(), [], [], [])).ToList();
        try
        {
            for (var round = 0; round < rounds; round++)
                for (var n = 0; n < engines.Count; n++)
                {
                    var engine = engines[n];
                    results[n].Engine.Add(StepBenchmark.MedianStep(steps, engine.Step));
                    var pytorch = PyTorchStep.Run(["--onnx", engine.Path, "--threads", threads.ToString(CultureInfo.InvariantCulture), "--steps", steps.ToString(CultureInfo.InvariantCulture),
                        "--sequence", sequence.ToString(CultureInfo.InvariantCulture)], environment);
                    if (pytorch is null)
                        return 1;
                    results[n].PyTorch.Add(pytorch.Cost);
                    results[n].PyTorchFirstLoss.Add(pytorch.FirstLoss);
                    results[n].Blas = pytorch.Blas;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  round {round + 1} {engine.Network}: engine {results[n].Engine[^1]}, pytorch {pytorch.Cost}, CPU ratio {results[n].Engine[^1].CpuMs / pytorch.Cost.CpuMs:F2}"));
                }
        }
        finally
        {
            engines.ForEach(e => e.Dispose());
        }
        var report = Markdown(args, results, steps, threads, loadBefore + " → " + MachineFacts.LoadAverage());
        Console.WriteLine(report);
        if (parsed.GetValue(OutOption) is { } path)
            File.WriteAllText(path, report);
        return results.All(r => r.PyTorchFirstLoss.All(l => Math.Abs(l - r.EngineFirstLoss) <= 1e-4 * Math.Max(1, Math.Abs(l)))) ? 0 : 1;
    }

    private static string Markdown(string[] args, IReadOnlyList<Rounds> results, int steps, int threads, string load)
    {
        var ic = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(ic, $"`{$"dotnet run -c Release --project bench/Shears.Bench -- steps {string.Join(' ', args)}".TrimEnd()}`");
        md.AppendLine();
        md.AppendLine(ic, $"{results[0].Engine.Count} rounds, in each: per network {steps} timed engine steps, then {steps} PyTorch steps (bench/pytorch_step.py, a process per round), after 10 warm-up steps each; " +
            $"{threads} intra-op thread(s); median of the round medians (wall) and of the rounds' CPU time per step; load average {load}.");
        md.AppendLine();
        md.AppendLine("| network | inputs | first-batch loss: engine / PyTorch | engine CPU ms | PyTorch CPU ms | **ratio (CPU)** | engine wall ms | PyTorch wall ms | ratio (wall) |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
        {
            var (engine, pytorch) = (StepBenchmark.MedianOf(r.Engine), StepBenchmark.MedianOf(r.PyTorch));
            md.AppendLine(ic, $"| {r.Network} | {r.Inputs} | {r.EngineFirstLoss:F6} / {r.PyTorchFirstLoss[0]:F6} | {engine.CpuMs:F1} | {pytorch.CpuMs:F1} | **{engine.CpuMs / pytorch.CpuMs:F2}×** | {engine.WallMs:F1} | {pytorch.WallMs:F1} | {engine.WallMs / pytorch.WallMs:F2}× |");
        }
        md.AppendLine();
        md.AppendLine(ic, $"PyTorch side's BLAS: {string.Join("; ", results.Select(r => r.Blas).Distinct())}.");
        md.AppendLine();
        foreach (var r in results)
            md.AppendLine(ic, $"Per round, {r.Network} (CPU ms engine / PyTorch = ratio): {string.Join(" · ", r.Engine.Zip(r.PyTorch, (e, p) => string.Create(ic, $"{e.CpuMs:F1} / {p.CpuMs:F1} = {e.CpuMs / p.CpuMs:F2}")))}.");
        md.AppendLine();
        md.AppendLine(ic, $"Machine: {MachineFacts.Cpu()}, {Environment.ProcessorCount} logical cores.");
        return md.ToString();
    }

    /// <summary>One network's plain engine step, as a job trains it: GraphModule, held rows, labels objective, Adam.</summary>
    private sealed class EngineStep : IDisposable
    {
        private readonly GraphModule module;
        private readonly TrainingData data;
        private readonly Objective objective;
        private readonly Trainer trainer;

        private EngineStep(string network, string path, Dataset dataset)
        {
            (Network, Path) = (network, path);
            var graph = PruningEngine.ParseGraph(File.ReadAllBytes(path), dataset);
            var options = new PruningOptions { BatchSize = dataset.Samples, ValidationFraction = 0, Objective = Objective.Labels };
            module = new GraphModule(graph, CPU);
            data = new TrainingData(dataset, graph.Inputs, options, CPU);
            objective = new Objective(module, data, options);
            trainer = new Trainer(module, options, objective);
            Inputs = string.Join(", ", dataset.Arrays.Select(a => $"{a.Name} [{dataset.Samples}×{string.Join("×", a.SampleShape)}]"));
        }

        public string Network { get; }

        public string Path { get; }

        public string Inputs { get; }

        public static EngineStep Create(string network, int sequence)
        {
            var path = $"tests/fixtures/zoo/{network}.onnx";
            var data = ZooData.Read($"tests/fixtures/zoo/{network}.npz");
            return new EngineStep(network, path, sequence > 0 ? ZooData.WithSequence(data, sequence) : data);
        }

        public void Step()
        {
            using var scope = NewDisposeScope();
            trainer.Step(data.NextTrainBatch());
        }

        /// <summary>The loss of the first batch of rows in order, in training mode, before any step (what pytorch_step.py reports as first_loss).</summary>
        public double FirstLoss()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            module.train();
            var batch = data.Rows([.. Enumerable.Range(0, data.BatchSize).Select(i => (long)i)]);
            return objective.Loss(module.Run(batch.Inputs), batch).item<float>();
        }

        public void Dispose()
        {
            trainer.Dispose();
            objective.Dispose();
            data.Dispose();
            module.Dispose();
        }
    }
}
