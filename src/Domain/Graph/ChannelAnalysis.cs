namespace Shears.Domain.Graph;

/// <summary>The prunable channel groups of a graph and the tensors whose channels are held fixed, with why.</summary>
public sealed record ChannelAnalysis(IReadOnlyList<ChannelGroup> Groups, IReadOnlyList<HeldTensor> Held);
