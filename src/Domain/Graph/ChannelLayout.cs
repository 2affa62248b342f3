namespace Shears.Domain.Graph;

/// <summary>
/// Where a tensor's channels come from, during <see cref="ChannelGroupAnalysis"/>: along
/// <see cref="Axis"/> it holds the channels of each segment's source in order (a Concat has several),
/// each channel spanning <see cref="ChannelSegment.Block"/> consecutive indices (H·W after a Flatten).
/// </summary>
/// <param name="GateTensor">
/// The tensor a gate for these channels can multiply (block 1, channels on <paramref name="GateAxis"/>
/// at the same offsets): the tensor itself, or the tensor before a Flatten; null when no such tensor exists.
/// </param>
/// <param name="GateReader">
/// The node (by its first output) that reads <paramref name="GateTensor"/> on the way here: the Flatten in
/// front of a flattened layout; null when the gate tensor is this tensor, read by whichever node reads it next.
/// </param>
internal sealed record ChannelLayout(int Axis, IReadOnlyList<ChannelSegment> Segments, string? GateTensor, int GateAxis, string? GateReader = null)
{
    public long Block => Segments[0].Block;

    public ChannelLayout GatedAt(string tensor, int axis) => this with { Axis = axis, GateTensor = tensor, GateAxis = axis, GateReader = null };
}

/// <summary>All channels of <paramref name="Source"/>, each <paramref name="Block"/> indices wide.</summary>
internal sealed record ChannelSegment(int Source, long Block);
