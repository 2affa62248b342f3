namespace Shears.Domain.Graph;

/// <summary>
/// Where a tensor's channels come from, during <see cref="ChannelGroupAnalysis"/>: along
/// <see cref="Axis"/> it holds the channels of each segment's source in order (a Concat has several),
/// each channel spanning <see cref="ChannelSegment.Block"/> consecutive indices (H·W after a Flatten).
/// </summary>
/// <param name="GateTensor">
/// The tensor a gate for these channels can multiply (channels on <paramref name="GateAxis"/>, each
/// <see cref="ChannelSegment.GateBlock"/> indices wide): the tensor itself, or the tensor before a Flatten; null when no such tensor exists.
/// </param>
/// <param name="GateReader">
/// The node (by its first output) that reads <paramref name="GateTensor"/> on the way here: the Flatten in
/// front of a flattened layout; null when the gate tensor is this tensor, read by whichever node reads it next.
/// </param>
internal sealed record ChannelLayout(int Axis, IReadOnlyList<ChannelSegment> Segments, string? GateTensor, int GateAxis, string? GateReader = null)
{
    public long Block => Segments[0].Block;

    /// <summary>
    /// Axes whose indices lie inside one channel: a channel that is an attention head spans its head_dim there
    /// (the channel axis then holds one index per head).
    /// </summary>
    public IReadOnlyList<int> Within { get; init; } = [];

    /// <summary>
    /// An axis whose index is the major part of the channel index, or −1: a fused QKV projection reshaped to
    /// […, 3, heads, head_dim] holds channel o·heads + h at index o there and h on <see cref="Axis"/>.
    /// </summary>
    public int Outer { get; init; } = -1;

    /// <summary>The channel axis also holds the batch as its major factor (heads folded into the batch: [T, N·heads, head_dim]).</summary>
    public bool Batched { get; init; }

    /// <summary>How the gate tensor's first axis folds rows around each example (see <see cref="GateSite.RowsBefore"/>): (1, 1) when it is the batch.</summary>
    public (int Before, int After) GateRows { get; init; } = (1, 1);

    /// <summary>The channels are spread over more than one axis (or share one with the batch): only the operators that follow attention heads pass them.</summary>
    public bool Spread => Within.Count > 0 || Outer >= 0 || Batched;

    public ChannelLayout GatedAt(string tensor, int axis) =>
        this with { Axis = axis, GateTensor = Spread ? null : tensor, GateAxis = axis, GateReader = null };
}

/// <summary>All channels of <paramref name="Source"/>, each <paramref name="Block"/> indices wide (<paramref name="GateBlock"/> in the gate tensor).</summary>
internal sealed record ChannelSegment(int Source, long Block, long GateBlock = 1);
