using Shears.Domain.Jobs;
using Shears.Worker.Engine.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Methods.L0;

/// <summary>
/// The log α of a set of hard-concrete gates in one flat parameter, initialised from the job's seed, and the
/// gate noise drawn <c>noiseSteps</c> mini-batches at a time, so each step samples every gate with a few ops.
/// A checkpoint holds log α, the noise generator's state before the current block was drawn and the row reached,
/// so a resumed run draws the same block again and goes on with the same noise.
/// </summary>
public sealed class FlatLogAlpha : ICheckpointed, IDisposable
{
    private readonly HardConcrete gate;
    private readonly Generator generator;
    private readonly int noiseSteps;

    /// <summary>The noise of <see cref="noiseSteps"/> steps; row <see cref="nextNoise"/> is the next step's.</summary>
    private Tensor? noise;
    private int nextNoise;

    /// <summary>The generator's state before <see cref="noise"/> was drawn.</summary>
    private Tensor? blockStart;

    public FlatLogAlpha(HardConcrete gate, long count, PruningOptions options, Device device, int noiseSteps)
    {
        this.gate = gate;
        this.noiseSteps = noiseSteps;
        generator = new Generator((ulong)options.Seed + 7919, device);
        using var scope = NewDisposeScope();
        using var initialisation = new Generator((ulong)options.Seed + 104729);
        Value = new Parameter(HardConcrete.InitialLogAlpha(count, options.DroprateInit, initialisation).to(device), requires_grad: true);
        Value.DetachFromDisposeScope();
    }

    public Parameter Value { get; }

    /// <summary>One gate sample per gate for this mini-batch, in the caller's dispose scope.</summary>
    public Tensor Sample()
    {
        if (noise is null || nextNoise == noiseSteps)
            DrawNoise();
        return gate.Sample(Value, noise![nextNoise++]);
    }

    private void DrawNoise()
    {
        noise?.Dispose();
        blockStart?.Dispose();
        blockStart = generator.get_state().DetachFromDisposeScope();
        using (no_grad())
            noise = gate.Noise([noiseSteps, Value.shape[0]], Value.device, generator).DetachFromDisposeScope();
        nextNoise = 0;
    }

    public void Save(CheckpointData data)
    {
        data.Put("l0/log-alpha", Value);
        using var state = noise is null ? generator.get_state() : null;
        data.Put("l0/noise-generator", state ?? blockStart!);
        data.Counters["l0/noise-row"] = noise is null ? -1 : nextNoise;
    }

    public void Restore(CheckpointData data)
    {
        data.CopyInto("l0/log-alpha", Value);
        using (var scope = NewDisposeScope())
            generator.set_state(data.Load("l0/noise-generator"));
        var row = data.Counter("l0/noise-row");
        noise?.Dispose();
        noise = null;
        if (row < 0)
            return;
        DrawNoise();
        nextNoise = (int)row;
    }

    public void Clamp(double min, double max)
    {
        using var noGrad = no_grad();
        using var low = min.ToScalar();
        using var high = max.ToScalar();
        Value.clamp_(low, high);
    }

    public void Dispose()
    {
        Value.Dispose();
        noise?.Dispose();
        blockStart?.Dispose();
        generator.Dispose();
    }
}
