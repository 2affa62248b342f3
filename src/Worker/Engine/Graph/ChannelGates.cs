using Shears.Domain.Graph;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>
/// Per-channel multipliers on channel groups, applied at the groups' <see cref="GateSite"/>s inside
/// a <see cref="GraphModule"/>: to a tensor as one consumer reads it, so each consumer sees a channel
/// scaled once, whatever skip paths it came along. A group's multiplier has one value per channel; where
/// several groups share a tensor (after a Concat) their multipliers are laid side by side at their offsets.
/// Masks (Fisher, magnitude) set a multiplier once and edit it in place; L0 sets fresh gates every step.
/// </summary>
public sealed class ChannelGates : IDisposable
{
    private readonly GraphModule module;
    private readonly IReadOnlyList<ChannelGroup> groups;
    private readonly Tensor?[] multiplierByGroup;
    private readonly Tensor?[] ownedByGroup;
    private readonly Dictionary<string, SiteTensor> sites = [];
    private readonly Dictionary<string, Tensor> keptBySite = [];
    private readonly int[] flatOffsets;

    public ChannelGates(GraphModule module, IReadOnlyList<ChannelGroup> groups)
    {
        this.module = module;
        this.groups = groups;
        multiplierByGroup = new Tensor?[groups.Count];
        ownedByGroup = new Tensor?[groups.Count];
        foreach (var group in groups)
            foreach (var site in group.GateSites)
            {
                if (!sites.TryGetValue(site.Reader, out var tensor))
                    sites[site.Reader] = tensor = new SiteTensor(site.Reader, site.Axis, module.ProbedShape(site.Tensor));
                tensor.Segments.Add((site.Offset, group.Id, site.Block));
            }
        foreach (var site in sites.Values)
            site.Segments.Sort();
        flatOffsets = new int[groups.Count];
        foreach (var group in groups)
        {
            flatOffsets[group.Id] = TotalChannels;
            TotalChannels += group.Channels;
        }
    }

    /// <summary>Channels of all groups together: the length of a flat multiplier (<see cref="SetAll"/>).</summary>
    public int TotalChannels { get; }

    /// <summary>Where group <paramref name="groupId"/>'s channels start in a flat multiplier.</summary>
    public int FlatOffset(int groupId) => flatOffsets[groupId];

    public IReadOnlyList<ChannelGroup> Groups => groups;

    public Device Device => module.Device;

    /// <summary>
    /// Multiplies the group's channels by <paramref name="multiplier"/> (shape [Channels]) from the next forward on.
    /// With <paramref name="keep"/> the combined tensors outlive the caller's dispose scope (a mask set once);
    /// without it they belong to the current scope (gates recomputed every step).
    /// Either way the group's multiplier stays readable until it is set again: a tensor shared with other
    /// groups (after a Concat) is rebuilt from every group's latest multiplier, some set in earlier scopes.
    /// </summary>
    public void Set(int groupId, Tensor multiplier, bool keep = true)
    {
        ownedByGroup[groupId]?.Dispose();
        ownedByGroup[groupId] = keep ? null : multiplier.alias().DetachFromDisposeScope();
        multiplierByGroup[groupId] = ownedByGroup[groupId] ?? multiplier;
        foreach (var site in groups[groupId].GateSites)
            Rebuild(sites[site.Reader], keep);
    }

    /// <summary>
    /// Multiplies every group's channels at once from one flat tensor [<see cref="TotalChannels"/>]
    /// (group g at <see cref="FlatOffset"/>): a view per site that one group fills, one index_select per
    /// shared site, so a step that re-samples every gate (L0) costs a few ops, not a rebuild per group.
    /// Replaces every group's multiplier until the next <see cref="Set"/> of every group.
    /// </summary>
    public void SetAll(Tensor flat, bool keep = true)
    {
        foreach (var owned in ownedByGroup.OfType<Tensor>())
            owned.Dispose();
        Array.Clear(ownedByGroup);
        Array.Clear(multiplierByGroup);
        Tensor? extended = null;
        foreach (var site in sites.Values)
        {
            Tensor combined;
            if (site.Segments is [(0, var only, 1)] && groups[only].Channels == site.Shape[site.Axis])
            {
                // A channel axis that is the last one broadcasts as it is ([N, C] features).
                combined = flat.narrow(0, flatOffsets[only], groups[only].Channels);
                if (site.Axis != site.Shape.Length - 1)
                    combined = combined.view(site.BroadcastShape);
            }
            else
            {
                // Positions no group occupies read the 1 appended after the last channel.
                extended ??= cat([flat, ones(1, dtype: flat.dtype, device: flat.device)], 0);
                combined = extended.index_select(0, site.FlatIndex(flatOffsets, groups, TotalChannels, module.Device)).view(site.BroadcastShape);
            }
            Install(site, combined, keep);
        }
    }

    /// <summary>
    /// The Fisher signal g_nk = ∂L_n/∂m_k = Σ over the group's sites (every consumer's read) and positions of a·∂L/∂a, per example,
    /// from the gradients kept in the last backward (<see cref="CaptureGradients"/>): shape [N, Channels].
    /// </summary>
    public Tensor ExampleSensitivity(int groupId)
    {
        Tensor? total = null;
        foreach (var site in groups[groupId].GateSites)
        {
            var gated = module.Captured(site.Reader) ?? throw new InvalidOperationException($"No activation was captured at '{site.Tensor}' as '{site.Reader}' reads it; set CaptureGradients before the forward.");
            var tensor = sites[site.Reader];
            var product = gated.detach() * gated.grad!;
            var perChannel = tensor.ReducedDimensions.Length == 0 ? product : product.sum(tensor.ReducedDimensions);
            var channels = groups[groupId].Channels;
            var slice = perChannel.narrow(1, site.Offset, (long)channels * site.Block);
            if (site.Block > 1)
                slice = slice.view(slice.shape[0], channels, site.Block).sum(2);
            if (site.RowsBefore * site.RowsAfter > 1)
                slice = slice.view(site.RowsBefore, -1, site.RowsAfter, channels).sum([0, 2]); // tokens folded into the rows, summed per example
            total = total is null ? slice : total.add(slice, LiveScalars.One);
        }
        return total ?? throw new InvalidOperationException($"Group {groupId} has no gate sites.");
    }

    /// <summary>Keep the gradient of every gated input in the next forward/backward.</summary>
    public bool CaptureGradients
    {
        get => module.CaptureGated;
        set
        {
            module.CaptureGated = value;
            if (!value)
                module.ClearCaptured();
        }
    }

    public void Dispose()
    {
        foreach (var site in sites.Keys)
            module.SetInputMultiplier(site, null);
        foreach (var tensor in keptBySite.Values.Concat(ownedByGroup.OfType<Tensor>()))
            tensor.Dispose();
        keptBySite.Clear();
        Array.Clear(ownedByGroup);
        foreach (var site in sites.Values)
            site.Dispose();
    }

    private void Rebuild(SiteTensor site, bool keep)
    {
        var axisSize = site.Shape[site.Axis];
        var device = module.Device;
        Tensor combined;
        if (site.Segments is [(0, var only, 1)] && groups[only].Channels == axisSize)
            combined = multiplierByGroup[only] is { } m ? m.view(site.BroadcastShape) : ones(site.BroadcastShape, device: device);
        else
        {
            var pieces = new List<Tensor>();
            long at = 0;
            foreach (var (offset, groupId, block) in site.Segments)
            {
                if (offset > at)
                    pieces.Add(ones(offset - at, device: device));
                var channels = groups[groupId].Channels;
                var multiplier = multiplierByGroup[groupId] ?? ones(channels, device: device);
                // An attention head scales its head_dim columns alike.
                pieces.Add(block == 1 ? multiplier : multiplier.repeat_interleave(block));
                at = offset + ((long)channels * block);
            }
            if (axisSize > at)
                pieces.Add(ones(axisSize - at, device: device));
            combined = cat(pieces, 0).view(site.BroadcastShape);
        }
        Install(site, combined, keep);
    }

    private void Install(SiteTensor site, Tensor combined, bool keep)
    {
        if (keptBySite.Remove(site.Name, out var previous))
            previous.Dispose();
        if (keep)
            keptBySite[site.Name] = combined.DetachFromDisposeScope();
        module.SetInputMultiplier(site.Name, combined);
    }

    /// <summary>A gated tensor as one reader (<paramref name="name"/>) reads it: where its channel axis is and which groups occupy it.</summary>
    private sealed class SiteTensor(string name, int axis, long[] shape) : IDisposable
    {
        private Tensor? flatIndex;

        public string Name { get; } = name;
        public int Axis { get; } = axis;
        public long[] Shape { get; } = shape;
        /// <summary>Where each group's channels begin on the axis, and how many indices each channel spans there.</summary>
        public List<(int Offset, int GroupId, int Block)> Segments { get; } = [];

        /// <summary>[1, …, C, …, 1]: the multiplier's shape for broadcasting along the axis.</summary>
        public long[] BroadcastShape { get; } = [.. shape.Select((d, i) => i == axis ? d : 1L)];

        /// <summary>Every dimension but the batch and the channel axis.</summary>
        public long[] ReducedDimensions { get; } = [.. Enumerable.Range(0, shape.Length).Where(i => i != 0 && i != axis).Select(i => (long)i)];

        /// <summary>Per position on the axis, the flat multiplier's index that scales it (<paramref name="total"/>: none, the appended 1); built once.</summary>
        public Tensor FlatIndex(int[] offsets, IReadOnlyList<ChannelGroup> groups, int total, Device device)
        {
            if (flatIndex is not null)
                return flatIndex;
            var index = Enumerable.Repeat((long)total, (int)Shape[Axis]).ToArray();
            foreach (var (offset, groupId, block) in Segments)
                for (var k = 0; k < groups[groupId].Channels * block; k++)
                    index[offset + k] = offsets[groupId] + (k / block);
            return flatIndex = tensor(index, device: device).DetachFromDisposeScope();
        }

        public void Dispose() => flatIndex?.Dispose();
    }
}
