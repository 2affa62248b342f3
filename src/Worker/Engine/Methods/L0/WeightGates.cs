using Shears.Worker.Engine.Checkpoints;
using Shears.Worker.Engine.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Methods.L0;

/// <summary>
/// L0 at <c>granularity: "weight"</c>: one hard-concrete gate per weight of every Conv, Gemm and MatMul
/// weight tensor (Louizos et al.'s unstructured form), all in one flat log α. The expected L0 counts
/// weights: E[open weights] against the network's parameter count. At the end closed weights become
/// exact zeros and fractional gates are folded into their weights, so tensors keep their shape.
/// </summary>
public sealed class WeightGates : IL0GateSet, IDisposable
{
    /// <summary>Noise for at most this many gates is drawn at once (a large network draws fewer steps ahead).</summary>
    private const long NoiseBudget = 4_000_000;

    private readonly PruningSession session;
    private readonly HardConcrete gate;
    private readonly FlatLogAlpha flat;
    private readonly Parameter logAlpha;
    private readonly (string Name, long Offset, long Count, long[] Shape)[] weights;
    private readonly List<Tensor> keptMultipliers = [];

    public WeightGates(PruningSession session, HardConcrete gate)
    {
        this.session = session;
        this.gate = gate;
        var module = session.Module;
        long offset = 0;
        weights = [.. GatedWeights(session).Select(name =>
        {
            var shape = module.Parameters[name].shape;
            var count = shape.Aggregate(1L, (a, d) => a * d);
            offset += count;
            return (name, offset - count, count, shape);
        })];
        if (weights.Length == 0)
            throw new PruningFailedException("granularity \"weight\" gates Conv, Gemm and MatMul weights; this network has none to train.");
        Count = offset;
        FullCost = session.Cost.Original.Params;
        flat = new FlatLogAlpha(gate, Count, session.Options, module.Device, noiseSteps: (int)Math.Clamp(NoiseBudget / Count, 1, 64));
        logAlpha = flat.Value;
    }

    /// <summary>How many weights carry a gate.</summary>
    public long Count { get; }

    public IEnumerable<Parameter> LogAlphas => [logAlpha];

    public double FullCost { get; }

    /// <summary>The weight (input 1) of every Conv, Gemm and MatMul that the engine trains.</summary>
    public static IEnumerable<string> GatedWeights(PruningSession session) =>
        session.Graph.Nodes
            .Where(n => n.OpType is "Conv" or "Gemm" or "MatMul" && n.Input.Count > 1 && session.Module.Parameters.ContainsKey(n.Input[1]))
            .Select(n => n.Input[1])
            .Distinct();

    public void Sample() => Lay(flat.Sample(), keep: false);

    public void Clamp(double min, double max) => flat.Clamp(min, max);

    public Tensor ExpectedCostChange()
    {
        using var full = (-FullCost).ToScalar();
        return gate.ClosedProbability(logAlpha).sum().div(full);
    }

    public Tensor TestTimeCostChange()
    {
        using var noGrad = no_grad();
        using var full = (-FullCost).ToScalar();
        return gate.ClosedAtTestTime(logAlpha).sum().to_type(logAlpha.dtype).div_(full);
    }

    public double? AccuracyWithTestTimeGates()
    {
        using var scope = NewDisposeScope();
        using (no_grad())
            Lay(gate.TestTimeGate(logAlpha), keep: false);
        return Evaluation.Accuracy(session.Module, session.Data);
    }

    public string DescribeOpen()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return $"open weights {(Count - gate.ClosedAtTestTime(logAlpha).sum().item<long>())}/{Count}";
    }

    /// <summary>
    /// The test-time gates, made final: without a target, weights with ẑ = 0 become zero; with a params
    /// target, weights go in ascending log α until the nonzero weights are within it (closed gates first;
    /// closed gates not needed reopen at 1). Fractional gates multiply their weights. The 0/1 pattern then
    /// stays on the network as a mask, so fine-tuning keeps the zeros. Returns the gates it settled on.
    /// </summary>
    public float[] Settle(double? target)
    {
        float[] settled, order;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            settled = gate.TestTimeGate(logAlpha).cpu().data<float>().ToArray();
            order = logAlpha.detach().cpu().data<float>().ToArray();
        }
        var zeroed = new bool[Count];
        if (target is { } t)
        {
            var needed = (long)Math.Ceiling(FullCost * (1 - t));
            foreach (var i in Enumerable.Range(0, (int)Count).OrderBy(i => order[i]).Take((int)Math.Min(needed, Count)))
                zeroed[i] = true;
        }
        else
        {
            for (var i = 0; i < Count; i++)
                zeroed[i] = settled[i] == 0f;
        }
        for (var i = 0; i < Count; i++)
            settled[i] = zeroed[i] ? 0f : settled[i] == 0f ? 1f : settled[i];

        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var values = tensor(settled, device: logAlpha.device);
            foreach (var (name, offset, count, shape) in weights)
                session.Module.Parameters[name].mul_(values.narrow(0, offset, count).view(shape));
            Lay(values.gt(0).to_type(logAlpha.dtype), keep: true);
        }
        return settled;
    }

    /// <summary>log α and the gate noise; once settled, also the 0/1 pattern that fine-tuning keeps on the weights.</summary>
    public void Save(CheckpointData data)
    {
        flat.Save(data);
        if (keptMultipliers.Count != weights.Length)
            return;
        using var scope = NewDisposeScope();
        data.Put("l0/weight-mask", cat([.. keptMultipliers.Select(m => m.reshape(-1))]));
    }

    public void Restore(CheckpointData data)
    {
        flat.Restore(data);
        if (!data.Has("l0/weight-mask"))
            return;
        using var scope = NewDisposeScope();
        var mask = data.Load("l0/weight-mask").to(logAlpha.device);
        if (mask.shape[0] != Count)
            throw new InvalidDataException($"The checkpoint's weight mask has {mask.shape[0]} entries, not {Count}.");
        Lay(mask, keep: true);
    }

    /// <summary>Sets log α directly (tests, resuming from a checkpoint).</summary>
    public void SetLogAlpha(float[] values)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        logAlpha.copy_(tensor(values, device: logAlpha.device));
    }

    /// <summary>Makes the masked weights exact zeros again (fine-tuning's optimizer may have moved them) and takes the mask off.</summary>
    public void Bake()
    {
        using (NewDisposeScope())
        using (no_grad())
            foreach (var (name, _, _, _) in weights)
                if (session.Module.Parameters[name] is var weight && MultiplierOf(name) is { } mask)
                    weight.mul_(mask);
        Unlay();
    }

    /// <summary>Exact zeros among the gated weights, counted on the module's parameters.</summary>
    public long ZeroWeights()
    {
        using var scope = NewDisposeScope();
        return weights.Sum(w => session.Module.Parameters[w.Name].eq(0).sum().item<long>());
    }

    public void Dispose()
    {
        Unlay();
        flat.Dispose();
    }

    private Tensor? MultiplierOf(string name) => keptMultipliers.Count == weights.Length ? keptMultipliers[Array.FindIndex(weights, w => w.Name == name)] : null;

    /// <summary>Puts a flat gate tensor [Count] on the weights, each as a view of its own shape.</summary>
    private void Lay(Tensor flat, bool keep)
    {
        Unlay(resetModule: false);
        foreach (var (name, offset, count, shape) in weights)
        {
            var multiplier = flat.narrow(0, offset, count).view(shape);
            if (keep)
                keptMultipliers.Add(multiplier.DetachFromDisposeScope());
            session.Module.SetWeightMultiplier(name, multiplier);
        }
    }

    private void Unlay(bool resetModule = true)
    {
        foreach (var multiplier in keptMultipliers)
            multiplier.Dispose();
        keptMultipliers.Clear();
        if (resetModule)
            foreach (var (name, _, _, _) in weights)
                session.Module.SetWeightMultiplier(name, null);
    }
}
