using System.Globalization;
using System.Text;
using Shears.Domain.Jobs;

namespace Shears.Bench;

/// <summary>docs/benchmarks.md: the figures, the command that reproduces them, and the machine.</summary>
internal static class BenchReport
{
    public static string Markdown(BenchOptions options, string[] args, StepTimings steps, double originalAccuracy, IReadOnlyList<SweepPoint> sweep,
        TimeSpan elapsed)
    {
        var md = new StringBuilder();
        var ic = CultureInfo.InvariantCulture;
        md.AppendLine("# Engine benchmarks");
        md.AppendLine();
        md.AppendLine("Measured by `bench/Shears.Bench` in one run (figures below are this run's; rerun to refresh):");
        md.AppendLine();
        md.AppendLine("```");
        md.AppendLine($"dotnet run -c Release --project bench/Shears.Bench -- {string.Join(' ', args)}".TrimEnd());
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine($"Network `{options.Network}`, Fashion-MNIST from Debian's `dataset-fashion-mnist` (60,000 train, 10,000 test).");
        md.AppendLine();
        md.AppendLine("## Training step (batch 100, Adam, cross-entropy)");
        md.AppendLine();
        md.AppendLine($"Rounds alternate the kinds of step so machine load hits them alike: {options.Rounds} rounds × {options.StepsPerRound} timed steps, median of round medians, {options.Threads} intra-op thread(s) on both sides.");
        md.AppendLine();
        md.AppendLine("CPU time (process user+system time per step) is the figure to compare on a shared machine: wall time also counts the time other processes held the cores.");
        md.AppendLine();
        md.AppendLine("| step | CPU ms | wall ms (median) | ratio (CPU) | ratio (wall) | goal |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | --- |");
        md.AppendLine(ic, $"| PyTorch {steps.PyTorchVersion} (`bench/pytorch_step.py`) | {steps.PyTorch.CpuMs:F2} | {steps.PyTorch.WallMs:F2} | 1.00 | 1.00 | |");
        md.AppendLine(ic, $"| Shears plain step (ONNX-graph module) | {steps.Plain.CpuMs:F2} | {steps.Plain.WallMs:F2} | {steps.Plain.CpuMs / steps.PyTorch.CpuMs:F2} × PyTorch | {steps.Plain.WallMs / steps.PyTorch.WallMs:F2} × PyTorch | ≤ 1.2 × PyTorch |");
        md.AppendLine(ic, $"| Shears Fisher step (gates, captured gradients, Δ accumulation) | {steps.Fisher.CpuMs:F2} | {steps.Fisher.WallMs:F2} | {steps.Fisher.CpuMs / steps.Plain.CpuMs:F2} × plain | {steps.Fisher.WallMs / steps.Plain.WallMs:F2} × plain | ≤ 1.25 × plain |");
        md.AppendLine(ic, $"| Shears L0 step (gate samples, expected-cost penalty, λ controller) | {steps.L0.CpuMs:F2} | {steps.L0.WallMs:F2} | {steps.L0.CpuMs / steps.Plain.CpuMs:F2} × plain | {steps.L0.WallMs / steps.Plain.WallMs:F2} × plain | ≤ 1.2 × plain |");
        md.AppendLine();
        md.AppendLine("## Pruning");
        md.AppendLine();
        md.AppendLine(ic, $"Unpruned test accuracy (ONNX Runtime, 10,000 test images): **{originalAccuracy:P2}**. Each job: `PruningEngine.Run`, batch 100, Adam 1e-3; fisher: parameter-free β, stepsPerPrune {options.StepsPerPrune}, then {options.FineTuneEpochs} epoch(s) of fine-tuning; magnitude: L1 norms, global scope, then the same fine-tuning; l0: {options.FineTuneEpochs} epoch(s) in all (gate training toward the target, then fine-tuning with the gates frozen). Accuracy is the shrunk ONNX in ONNX Runtime on the test set; latency is batch 64, one thread, original and shrunk measured in alternating rounds (median). The jobs ran in separate processes at the same time, so their job times include each other's load.");
        md.AppendLine();
        md.AppendLine("### Side by side");
        md.AppendLine();
        var methods = sweep.Select(p => p.Method).Distinct().ToList();
        md.AppendLine($"| target FLOPs | {string.Join(" | ", methods.Select(m => $"{m.ToWire()}: accuracy (Δ) · ORT speed-up"))} |");
        md.AppendLine($"| ---: |{string.Concat(methods.Select(_ => " ---: |"))}");
        foreach (var target in sweep.Select(p => p.Target).Distinct())
        {
            var cells = methods.Select(m => sweep.FirstOrDefault(p => p.Method == m && p.Target == target) is { } p
                ? string.Create(ic, $"{p.TestAccuracy:P2} ({(p.TestAccuracy - originalAccuracy) * 100:+0.00;-0.00} pt) · {p.OriginalLatencyMs / p.PrunedLatencyMs:F2}×")
                : "not run");
            md.AppendLine(ic, $"| {target:P0} | {string.Join(" | ", cells)} |");
        }
        md.AppendLine();
        md.AppendLine("### Every job");
        md.AppendLine();
        md.AppendLine("| method | target FLOPs | FLOPs | params | test accuracy | Δ accuracy | ORT latency original → pruned | speed-up | kept widths | job time | peak RSS |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |");
        foreach (var p in sweep)
            md.AppendLine(ic, $"| {p.Method.ToWire()} | {p.Target:P0} | {p.FlopsFraction:P1} | {p.ParamsFraction:P1} | {p.TestAccuracy:P2} | {(p.TestAccuracy - originalAccuracy) * 100:+0.00;-0.00} pt | {p.OriginalLatencyMs:F3} → {p.PrunedLatencyMs:F3} ms | {p.OriginalLatencyMs / p.PrunedLatencyMs:F2}× | {string.Join("-", p.Layers.Select(l => l.ChannelsAfter))} (of {string.Join("-", p.Layers.Select(l => l.ChannelsBefore))}) | {p.DurationSeconds:F0} s | {p.PeakRssMb:F0} MB |");
        md.AppendLine();
        md.AppendLine(ic, $"Peak RSS is VmHWM of a child process that ran only that job (data loading, training, surgery, ONNX Runtime checks): **max {sweep.Select(p => p.PeakRssMb).DefaultIfEmpty(0).Max():F0} MB** (goal ≤ 1.5 GB).");
        md.AppendLine();
        md.AppendLine("## Machine");
        md.AppendLine();
        md.AppendLine($"- CPU: {MachineFacts.Cpu()}, {Environment.ProcessorCount} logical cores; memory {MachineFacts.Memory()}");
        md.AppendLine($"- OS: {MachineFacts.Os()}; .NET {Environment.Version}; TorchSharp 0.107.0 with libtorch-cpu 2.10.0; ONNX Runtime 1.31.1 (Microsoft.ML.OnnxRuntime)");
        md.AppendLine($"- Load average at the end of the run: {MachineFacts.LoadAverage()} (other work shared the machine; ratios are measured side by side to cancel most of it)");
        md.AppendLine(ic, $"- Whole run: {elapsed.TotalMinutes:F1} min");
        return md.ToString();
    }
}
