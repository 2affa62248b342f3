using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Onnx;
using Shears.Domain.Datasets;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine.Budgets;
using Shears.Worker.Engine.Checkpoints;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Methods;
using Shears.Worker.Engine.Methods.L0;
using Shears.Worker.Engine.Runtime;
using Shears.Worker.Engine.Training;
using static TorchSharp.torch;

namespace Shears.Worker.Engine;

/// <summary>
/// Runs one pruning job in memory: ONNX bytes + dataset in, shrunk ONNX + metrics out. Measures the
/// original (held-out accuracy, ONNX Runtime latency at batch 64 on one thread), runs the method on
/// masks, cuts the removed channels out with the Domain surgery, and accepts the result only if ONNX
/// Runtime on the shrunk network agrees with the masked TorchSharp network.
/// </summary>
public sealed class PruningEngine(EngineSettings? settings = null)
{
    /// <summary>Batch size of the latency measurement and the shrunk-vs-masked check.</summary>
    public const int LatencyBatch = 64;

    /// <summary>Largest |ORT(shrunk) − TorchSharp(masked)| accepted, relative to the output's largest magnitude (when above 1).</summary>
    public const float VerificationTolerance = 1e-3f;

    private readonly EngineSettings settings = settings ?? new EngineSettings();

    public PruneOutcome Run(PruneRequest request, IPruningProgress progress, CancellationToken cancellationToken)
    {
        if (settings.Threads > 0)
            set_num_threads(settings.Threads);
        random.manual_seed(request.Options.Seed);
        var graph = ParseGraph(request.OnnxModel, request.Dataset);
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        if (groups.Count == 0)
            throw new PruningFailedException("The network has no prunable channel groups (every channel feeds the output or an op Shears holds fixed).");

        var device = EngineDevice.Resolve(request.Options.Device);
        progress.Log($"Training on {device.type}; {groups.Count} prunable groups: {string.Join(", ", groups.Select(g => $"{g.Name} ({g.Channels})"))}.");
        using var module = CreateModule(graph, device);
        module.DeclareOutputKinds(request.Options.OutputKinds);
        using var data = new TrainingData(request.Dataset, graph.Inputs, request.Options, device);
        using var evalData = request.EvalDataset is null ? null : new TrainingData(request.EvalDataset, graph.Inputs, request.Options, device, heldOutWhole: true);
        var (target, budgetSizes) = SessionTarget(request, graph, groups);
        using var session = new PruningSession(graph, groups, module, data, target, request.Options, progress, cancellationToken);
        session.KeepCheckpointsIn(request.Checkpoints, Fingerprint(request));
        var figuresData = evalData ?? data;
        using var ownTeacher = evalData is null && session.Objective.Teacher is not null ? null : TeacherOutputs.ForFigures(module);
        var teacher = ownTeacher ?? session.Objective.Teacher!;
        var evaluatedOn = evalData is null
            ? $"validationFraction: {data.ValidationCount} held-out samples of the dataset"
            : $"evalDataset: {evalData.Samples} samples";
        progress.Log($"Objective: {session.Objective.Kind}; figures on {evaluatedOn}.");
        progress.Log($"Dataset: {data.Samples} samples, {(data.IsStreamed ? "read from the stored files a batch at a time" : "held in memory")}" +
            $"{(data.AugmentsTraining ? ", training batches augmented" : "")}.");

        var probe = LatencyBatchInputs(figuresData);
        if (request.Options.Cost == "latency")
            session.Cost.RankByLatency(new LatencyProfile(graph, groups, probe, session.Progress));
        else if (request.Options.Cost == "traffic" && request.Method == PruningMethod.Fisher)
            session.Cost.RankByTraffic();
        var method = PruningMethods.For(request.Method);
        session.MostFineTuningSteps = method.MostFineTuningSteps;
        method.PlanSteps(session);
        var before = Measure(session, session.Cost.Original, figuresData, teacher: null);
        progress.Log($"Original: {before.Params} parameters, {before.Flops} FLOPs{AccuracyText(before)}.");
        session.Progress.Report(loss: null, before.Accuracy, "measured the original network");

        var original = FixedBatch.RelaxedBytes(request.OnnxModel);
        FinishedNetwork Finish() => this.Finish(session, original, probe, figuresData, teacher);
        void Prune(TrajectoryStops stops) => method.PruneAlongTrajectory(session, stops);
        FinishedNetwork network;
        IReadOnlyList<LevelOutcome>? levels = null;
        IReadOnlyList<BudgetCandidate>? candidates = null;
        if (request.Target.Levels is { } asked)
        {
            levels = PruningLevels.Run(session, asked, Prune, Finish);
            network = levels[^1].Network;
        }
        else if (request.Target.Budget is { } budget)
        {
            (network, candidates) = BudgetSearch.Run(session, budget, budgetSizes!, before, Prune,
                () => Evaluation.Measure(session.Module, figuresData, teacher), Finish);
        }
        else
        {
            method.Run(session);
            cancellationToken.ThrowIfCancellationRequested();
            session.Progress.Plan.Enter("finishing");
            network = Finish();
        }
        before = before with { LatencyMs = network.OriginalLatencyMs };
        session.Progress.Plan.Enter("done");
        session.Progress.Report(loss: null, network.After.Accuracy, "done");
        return new PruneOutcome(network.PrunedOnnx, network.WeightsSafetensors, before, network.After, network.Layers, session.Progress.Trajectory,
            session.Sparsity, session.FineTuning, levels, candidates, session.Objective.Kind, evaluatedOn);
    }

    /// <summary>
    /// The target the session prunes to: the job's, or for a budget job the smallest candidate size (with the sizes searched).
    /// </summary>
    private static (PruningTarget Target, IReadOnlyList<double>? BudgetSizes) SessionTarget(PruneRequest request, OnnxGraph graph, IReadOnlyList<ChannelGroup> groups)
    {
        if (request.Target.Budget is not { } budget)
            return (request.Target, null);
        var placeholder = new PruningTarget(budget.By == CostMetric.Flops ? 0.5 : null, budget.By == CostMetric.Params ? 0.5 : null);
        var (sizes, target) = BudgetSearch.Plan(budget, CostTracker.ForJob(graph, groups, placeholder, request.Options));
        return (target, sizes);
    }

    /// <summary>Shrinks the session's network, checks it against the masked one and measures it (latency side by side with the original).</summary>
    private FinishedNetwork Finish(PruningSession session, byte[] original, IReadOnlyList<HostTensor> probe, TrainingData figuresData, TeacherOutputs teacher)
    {
        session.Progress.ThrowIfCancelled();
        var pruned = Shrink(session);
        SampleDimensions.Restore(pruned, ModelProto.Parser.ParseFrom(original));
        var prunedBytes = pruned.ToByteArray();
        Verify(prunedBytes, session.Module, probe);
        var after = Measure(session, session.Cost.Current, figuresData, teacher);
        var (originalMs, prunedMs) = LatencyComparison.Measure(original, prunedBytes, probe, settings.LatencyRounds, settings.LatencyRepeats);
        after = after with { LatencyMs = prunedMs };
        var agreement = string.Join("; ", after.Agreement!.Select(a =>
            $"{a.Output}: {(a.Top1Agreement is { } top1 ? $"top-1 agreement {top1:P1}, " : "")}relative error {a.RelativeError:G3}, cosine {a.Cosine:F4}"));
        session.Progress.Log($"Pruned: {after.Params} parameters, {after.Flops} FLOPs{AccuracyText(after)}; against the original: {agreement}; ONNX Runtime latency at batch {LatencyBatch}, side by side: {originalMs:F3} → {prunedMs:F3} ms.");
        var layers = session.Groups.Select(g => new LayerWidth(g.Name, g.Channels, session.Masks.KeptCount(g.Id))).ToList();
        return new FinishedNetwork(prunedBytes, Weights(pruned), after, layers, originalMs);
    }

    private static string AccuracyText(NetworkMetrics metrics) =>
        (metrics.Accuracy is { } top1 ? $", accuracy {top1:P2}" : "") + (metrics.Top5Accuracy is { } top5 ? $", top-5 {top5:P2}" : "");

    /// <summary>What a checkpoint must have been written for to be taken up: this network, method, target and options.</summary>
    private static string Fingerprint(PruneRequest request)
    {
        var job = JsonSerializer.Serialize(new { request.Method, request.Target, request.Options });
        return Convert.ToHexStringLower(SHA256.HashData([.. SHA256.HashData(request.OnnxModel), .. Encoding.UTF8.GetBytes(job)]));
    }

    /// <summary>
    /// The graph with its static shape arithmetic folded into constants (F.pad's ConstantOfShape/Slice
    /// chain has no kernel) and dynamic sample dimensions (a token length) pinned to the dataset's; analysis, training
    /// and surgery all work on this one graph (bench steps trains it too).
    /// </summary>
    public static OnnxGraph ParseGraph(byte[] onnx, JobDataset dataset)
    {
        try
        {
            return ShapeFolding.Fold(SampleDimensions.Pin(OnnxGraph.Parse(onnx), SampleShapeIn(dataset)));
        }
        catch (InvalidModelException e)
        {
            throw new PruningFailedException(e.Message);
        }
    }

    /// <summary>
    /// The per-sample shape of the dataset array that feeds a graph input, by the input's name (dynamic lengths are pinned
    /// to it); stored array files say theirs as the upload's check described them. An image archive pins nothing: its rows
    /// take the network's shape.
    /// </summary>
    private static Func<string, IReadOnlyList<int>?> SampleShapeIn(JobDataset dataset)
    {
        IReadOnlyList<(string Name, int[] SampleShape)> arrays = dataset switch
        {
            JobDataset.Held { Dataset: var held } => [.. held.Arrays.Select(a => (a.Name, a.SampleShape))],
            JobDataset.Stored { Files.Arrays: { } described } => [.. described.Select(a => (a.Name, a.SampleShape))],
            _ => [],
        };
        return name => arrays.Where(a => a.Name == name).Select(a => a.SampleShape).FirstOrDefault() ?? (arrays.Count == 1 ? arrays[0].SampleShape : null);
    }

    private static GraphModule CreateModule(OnnxGraph graph, Device device)
    {
        try
        {
            return new GraphModule(graph, device);
        }
        catch (NotSupportedException e)
        {
            throw new PruningFailedException(e.Message);
        }
    }

    /// <summary>The removed channels cut out of the trained weights.</summary>
    private static ModelProto Shrink(PruningSession session)
    {
        var removed = session.Masks.RemovedChannels();
        var byGroup = session.Groups.ToDictionary(g => g.Id, g => (IReadOnlySet<int>)removed[g.Id].ToHashSet());
        try
        {
            return Surgery.Prune(session.Graph, session.Groups, byGroup, session.Module.ExportInitializers());
        }
        catch (InvalidOperationException e)
        {
            throw new PruningFailedException($"Surgery could not shrink the network: {e.Message}");
        }
    }

    /// <summary>
    /// ONNX Runtime on the shrunk network must compute what the masked TorchSharp network computes, every output of it, to
    /// within <see cref="VerificationTolerance"/> of the output's largest magnitude (outputs can be large or tiny).
    /// </summary>
    private static void Verify(byte[] pruned, GraphModule module, IReadOnlyList<HostTensor> inputs)
    {
        float[][] expected;
        module.eval();
        using (var scope = NewDisposeScope())
        using (no_grad())
            expected = [.. module.Run([.. inputs.Select(i => i.ToTensor(module.Device))]).Select(o => o.cpu().contiguous().data<float>().ToArray())];

        using var runtime = new OnnxRuntimeRunner(pruned);
        var actual = runtime.Run(inputs);
        for (var o = 0; o < expected.Length; o++)
        {
            var name = module.Graph.Outputs[o].Name;
            if (actual[o].Length != expected[o].Length)
                throw new PruningFailedException($"The shrunk network returns {actual[o].Length} values of '{name}' for the check batch, the masked one {expected[o].Length}.");
            var worst = 0f;
            var largest = 1f;
            for (var i = 0; i < actual[o].Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(actual[o][i] - expected[o][i]));
                largest = Math.Max(largest, Math.Abs(expected[o][i]));
            }
            if (!(worst <= VerificationTolerance * largest))
                throw new PruningFailedException($"The shrunk network's output '{name}' disagrees with the masked one by up to {worst:G3} " +
                    $"(tolerance {VerificationTolerance} × {largest:G3}); not handing it out.");
        }
    }

    /// <summary>Cost and held-out figures; latency is filled in later, when both networks are measured side by side.</summary>
    private static NetworkMetrics Measure(PruningSession session, CostMeasurement cost, TrainingData data, TeacherOutputs? teacher)
    {
        var figures = Evaluation.Measure(session.Module, data, teacher);
        return new(cost.Params, cost.Flops, figures.Accuracy, LatencyMs: double.NaN, figures.Top5Accuracy, teacher is null ? null : figures.Agreement);
    }

    /// <summary>64 held-out samples (repeated when the held-out part is smaller), a host array per graph input.</summary>
    private static IReadOnlyList<HostTensor> LatencyBatchInputs(TrainingData data) =>
        [.. data.ValidationInputs(LatencyBatch).Select(available =>
        {
            var rows = (int)available.Shape[0];
            var sampleSize = available.Values.Length / rows;
            var batch = Array.CreateInstance(available.Values.GetType().GetElementType()!, LatencyBatch * sampleSize);
            for (var i = 0; i < LatencyBatch; i++)
                Array.Copy(available.Values, i % rows * sampleSize, batch, i * sampleSize, sampleSize);
            return available with { Shape = [LatencyBatch, .. available.Shape[1..]], Values = batch };
        })];

    /// <summary>The shrunk network's float initializers in safetensors form.</summary>
    private static byte[] Weights(ModelProto pruned) =>
        SafetensorsWriter.Write(pruned.Graph.Initializer
            .Where(t => (TensorProto.Types.DataType)t.DataType == TensorProto.Types.DataType.Float)
            .Select(t => (t.Name, OnnxTensors.Dims(t), OnnxTensors.ToFloats(t))),
            new Dictionary<string, string> { ["format"] = "pt", ["producer"] = "shears" });
}
