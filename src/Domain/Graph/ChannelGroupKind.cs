using Shears.Domain.Onnx;

namespace Shears.Domain.Graph;

/// <summary>What a group's channels are: convolution channels, attention heads, or hidden units of a linear layer.</summary>
public enum ChannelGroupKind
{
    /// <summary>Output channels of a convolution (a producer weight of rank 3 or more).</summary>
    Convolution,
    /// <summary>Attention heads: a matrix producer whose channel owns a block of rows (head_dim of them).</summary>
    Heads,
    /// <summary>Hidden units of a linear layer.</summary>
    Units,
}

public static class ChannelGroupKinds
{
    public static ChannelGroupKind Of(OnnxGraph graph, ChannelGroup group)
    {
        var producers = group.Members.Where(m => m.Role == SliceRole.Producer).ToList();
        return producers.Any(p => graph.Initializers.TryGetValue(p.Initializer, out var t) && t.Dims.Count >= 3) ? ChannelGroupKind.Convolution
            : producers.Any(p => p.BlockSize > 1) ? ChannelGroupKind.Heads
            : ChannelGroupKind.Units;
    }
}
