using Shears.Worker.Engine.Graph;
using static TorchSharp.torch;

namespace Shears.Worker.Engine;

/// <summary>
/// 0/1 masks on every group's channels, applied through <see cref="ChannelGates"/>: a removed
/// channel is zeroed where its consumers read it, which computes exactly what the network with the
/// channel cut out computes. Edited in place, so no step allocates gate tensors.
/// </summary>
public sealed class ChannelMasks : IDisposable
{
    private readonly ChannelGates gates;
    private readonly Tensor[] masks;
    private readonly bool[][] kept;

    public ChannelMasks(ChannelGates gates)
    {
        this.gates = gates;
        var groups = gates.Groups;
        masks = new Tensor[groups.Count];
        kept = new bool[groups.Count][];
        foreach (var group in groups)
        {
            masks[group.Id] = ones(group.Channels, device: gates.Device).DetachFromDisposeScope();
            kept[group.Id] = Enumerable.Repeat(true, group.Channels).ToArray();
            gates.Set(group.Id, masks[group.Id]);
        }
    }

    /// <summary>Per group, per channel: still in the network.</summary>
    public IReadOnlyList<bool[]> Kept => kept;

    public int KeptCount(int groupId) => kept[groupId].Count(k => k);

    /// <summary>Per group, the indices of removed channels (what surgery cuts out).</summary>
    public IReadOnlyList<IReadOnlyList<int>> RemovedChannels() =>
        [.. kept.Select(k => (IReadOnlyList<int>)[.. Enumerable.Range(0, k.Length).Where(i => !k[i])])];

    public void Remove(int groupId, int channel)
    {
        if (!kept[groupId][channel])
            return;
        kept[groupId][channel] = false;
        using (NewDisposeScope())
            masks[groupId][channel].fill_(LiveScalars.Zero);
        gates.Set(groupId, masks[groupId]);
    }

    /// <summary>Puts a removed channel back (a levels or budget job going back to a snapshot taken earlier on the trajectory).</summary>
    public void Restore(int groupId, int channel)
    {
        if (kept[groupId][channel])
            return;
        kept[groupId][channel] = true;
        using (NewDisposeScope())
            masks[groupId][channel].fill_(LiveScalars.One);
        gates.Set(groupId, masks[groupId]);
    }

    /// <summary>Puts every mask back on its gates (after something else, e.g. L0's sampled gates, used them).</summary>
    public void Reapply()
    {
        for (var g = 0; g < masks.Length; g++)
            gates.Set(g, masks[g]);
    }

    public void Dispose()
    {
        foreach (var mask in masks)
            mask.Dispose();
    }
}
