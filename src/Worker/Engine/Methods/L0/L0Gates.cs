using Shears.Worker.Engine.Checkpoints;
using Shears.Worker.Engine.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Methods.L0;

/// <summary>
/// The log α of every group's hard-concrete gates, and how they are put on the network. All groups'
/// log α live in one flat parameter laid out as <see cref="Graph.ChannelGates.SetAll"/> reads it, so a
/// training step samples, lays and penalises every gate with a few tensor ops and no host round trip.
/// </summary>
public sealed class L0Gates : ICheckpointed, IDisposable
{
    private readonly PruningSession session;
    private readonly HardConcrete gate;
    private readonly FlatLogAlpha flat;
    private readonly Parameter logAlpha;

    /// <summary>[groups, channels of all groups]: row g sums group g's entries of a flat per-channel tensor.</summary>
    private readonly Tensor membership;

    /// <summary>
    /// [groups]: the most a group may lose, down to its narrowest allowed width (<c>minWidth</c>). The penalty counts no
    /// removals beyond it: they would not happen (the final projection keeps the group at that width and takes the cost
    /// from other groups, whose gates were trained open), so the penalty must not keep pushing such a group's gates shut.
    /// </summary>
    private readonly Tensor removable;

    public L0Gates(PruningSession session, HardConcrete gate)
    {
        this.session = session;
        this.gate = gate;
        var device = session.Module.Device;
        var groups = session.Groups;
        var total = session.Gates.TotalChannels;
        flat = new FlatLogAlpha(gate, total, session.Options, device, noiseSteps: 64);
        logAlpha = flat.Value;
        using var scope = NewDisposeScope();
        var rows = new float[groups.Count, total];
        foreach (var group in groups)
            for (var k = 0; k < group.Channels; k++)
                rows[group.Id, session.Gates.FlatOffset(group.Id) + k] = 1;
        membership = tensor(rows, device: device).DetachFromDisposeScope();
        removable = tensor(groups.Select(g => (float)(g.Channels - session.Cost.NarrowestWidth(g.Id))).ToArray(), device: device).DetachFromDisposeScope();
    }

    public IEnumerable<Parameter> LogAlphas => [logAlpha];

    /// <summary>One gate sample per channel for this mini-batch, laid on the network in the current dispose scope.</summary>
    public void Sample() => session.Gates.SetAll(flat.Sample(), keep: false);

    /// <summary>
    /// E[r_g] = Σ_k P(z_gk = 0): the expected number of removed channels per group, differentiable, at most what the group
    /// may lose (beyond that the penalty has no gradient).
    /// </summary>
    public Tensor ExpectedRemoved() => minimum(membership.mv(gate.ClosedProbability(logAlpha)), removable);

    /// <summary>Channels per group whose test-time gate is 0 (log α at or below ln(−γ/ζ)), at most what the group may lose; on the device, no gradient.</summary>
    public Tensor ClosedRemoved()
    {
        using var noGrad = no_grad();
        return minimum(membership.mv(gate.ClosedAtTestTime(logAlpha).to_type(logAlpha.dtype)), removable);
    }

    public void Clamp(double min, double max) => flat.Clamp(min, max);

    public float[][] TestTimeGates()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return PerGroup(gate.TestTimeGate(logAlpha));
    }

    public float[][] LogAlphaValues()
    {
        using var scope = NewDisposeScope();
        return PerGroup(logAlpha.detach());
    }

    /// <summary>Accuracy on the held-out split with the deterministic test-time gates ẑ.</summary>
    public double? AccuracyWithTestTimeGates()
    {
        using var scope = NewDisposeScope();
        ApplyTestTimeGates(keep: false);
        return Evaluation.Accuracy(session.Module, session.Data);
    }

    /// <summary>Puts the deterministic test-time gates ẑ on the network (without <paramref name="keep"/>, in the caller's dispose scope).</summary>
    public void ApplyTestTimeGates(bool keep)
    {
        using var noGrad = no_grad();
        session.Gates.SetAll(gate.TestTimeGate(logAlpha), keep);
    }

    /// <summary>Sets log α directly (tests, resuming from a checkpoint).</summary>
    public void SetLogAlpha(int groupId, float[] values)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        logAlpha.narrow(0, session.Gates.FlatOffset(groupId), values.Length).copy_(tensor(values, device: logAlpha.device));
    }

    /// <summary>"conv1 12/20, fc1 300/500": channels whose test-time gate is open.</summary>
    public string DescribeOpen()
    {
        var z = TestTimeGates();
        return string.Join(", ", session.Groups.Select(g => $"{g.Name} {z[g.Id].Count(v => v > 0)}/{g.Channels}"));
    }

    public void Save(CheckpointData data) => flat.Save(data);

    public void Restore(CheckpointData data) => flat.Restore(data);

    /// <summary>Puts the 0/1 masks back in place of the sampled gates.</summary>
    public void RestoreMasks() => session.Masks.Reapply();

    public void Dispose()
    {
        RestoreMasks();
        flat.Dispose();
        membership.Dispose();
        removable.Dispose();
    }

    /// <summary>A flat per-channel tensor copied to the host once and cut into groups.</summary>
    private float[][] PerGroup(Tensor flat)
    {
        var values = flat.cpu().data<float>().ToArray();
        return [.. session.Groups.Select(g => values[session.Gates.FlatOffset(g.Id)..(session.Gates.FlatOffset(g.Id) + g.Channels)])];
    }
}
