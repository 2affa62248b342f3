using Shears.Domain.Graph;
using Shears.Worker.Engine.Checkpoints;
using Shears.Worker.Engine.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Methods;

/// <summary>
/// Theis et al. (2018): the loss increase from removing channel k is estimated by
/// Δ_k = 1/(2N)·Σ_n g_nk², with g_nk = ∂L_n/∂m_k = Σ_ij a_nkij·∂L_n/∂a_nkij for a mask m_k on the
/// channel's activation. One backward of the batch loss gives every g_nk at once: each example's
/// loss depends only on its own activations, so ∂L/∂a_n = ∂L_n/∂a_n. The accumulators stay on the device.
/// </summary>
public sealed class FisherSignal : ICheckpointed, IDisposable
{
    private readonly ChannelGates gates;
    private readonly Tensor[] sums;

    public FisherSignal(ChannelGates gates)
    {
        this.gates = gates;
        sums = [.. gates.Groups.Select(g => zeros(g.Channels, dtype: ScalarType.Float64, device: gates.Device).DetachFromDisposeScope())];
    }

    public IReadOnlyList<ChannelGroup> Groups => gates.Groups;

    /// <summary>Examples accumulated since the last reset.</summary>
    public long Examples { get; private set; }

    /// <summary>
    /// Adds one batch's g² after its backward (run with <see cref="ChannelGates.CaptureGradients"/>).
    /// <paramref name="lossScale"/> turns the gradient of the loss that was differentiated into that of
    /// the per-example summed loss: the batch size for a mean loss.
    /// </summary>
    public void Accumulate(long batchSize, double lossScale)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var scale = lossScale.ToScalar();
        foreach (var group in gates.Groups)
        {
            var g = gates.ExampleSensitivity(group.Id).to_type(ScalarType.Float64).mul(scale);
            sums[group.Id].add_(g.square().sum(0L), LiveScalars.One);
        }
        Examples += batchSize;
    }

    /// <summary>Δ per channel of every group, copied to the host.</summary>
    public double[][] Deltas()
    {
        using var scope = NewDisposeScope();
        var examples = Math.Max(1, Examples);
        return [.. sums.Select(s => (s / (2.0 * examples)).cpu().data<double>().ToArray())];
    }

    public void Reset()
    {
        foreach (var sum in sums)
            sum.zero_();
        Examples = 0;
    }

    public void Save(CheckpointData data)
    {
        foreach (var group in gates.Groups)
            data.Put($"fisher/delta-sum/{group.Id}", sums[group.Id]);
        data.Counters["fisher/examples"] = Examples;
    }

    public void Restore(CheckpointData data)
    {
        foreach (var group in gates.Groups)
            data.CopyInto($"fisher/delta-sum/{group.Id}", sums[group.Id]);
        Examples = data.Counter("fisher/examples");
    }

    public void Dispose()
    {
        foreach (var sum in sums)
            sum.Dispose();
    }
}
