namespace Shears.Domain.Graph;

/// <summary>
/// A set of tensor slices that must be removed together: channel k of the group is one output
/// feature map / hidden unit, and removing it removes slice k from every member.
/// This is the single dependency structure every pruning method works on: methods only score
/// channels of groups and pick which to remove.
/// </summary>
/// <param name="Id">Stable index of the group within its graph (0..n-1).</param>
/// <param name="Name">A readable name, e.g. the producing node's name ("conv1").</param>
/// <param name="Channels">How many channels the group has in the unpruned graph.</param>
/// <param name="Members">Every initializer slice owned by a channel.</param>
/// <param name="GateSites">
/// Where the group's channels are read by a channel-mixing consumer (Conv, Gemm, MatMul, or the
/// Flatten/Reshape in front of one). A gate or mask multiplies the tensor as that reader reads it, and
/// nowhere else: other readers (a skip Add, the next block) see it unscaled, so one multiplier per channel
/// scales what every consumer reads exactly once, however many residual blocks the channel passes through.
/// Zero gates are therefore equivalent to removing the channel, and fractional gates fold exactly into
/// the <see cref="SliceRole.Consumer"/> slices.
/// </param>
/// <param name="SplitParts">The Split outputs the group's channels pass through: removing a channel shrinks each such output's size.</param>
/// <param name="ReshapeSites">The Reshapes whose target surgery rewrites (attention heads split off and merged back).</param>
/// <param name="SliceSites">The Slices that cut the group's channels out of a wider tensor (a fused QKV projection): surgery moves their bounds.</param>
/// <param name="ScaledCosts">Products between activations (attention scores) whose FLOPs shrink with the group's kept channels.</param>
public sealed record ChannelGroup(
    int Id,
    string Name,
    int Channels,
    IReadOnlyList<ParameterSlice> Members,
    IReadOnlyList<GateSite> GateSites,
    IReadOnlyList<SplitPart>? SplitParts = null,
    IReadOnlyList<ReshapeSite>? ReshapeSites = null,
    IReadOnlyList<SliceSite>? SliceSites = null,
    IReadOnlyList<ScaledCost>? ScaledCosts = null)
{
    /// <summary>
    /// Indices one channel owns in its producer's weight: 1 for a unit or a convolution channel, head_dim for an
    /// attention head. The methods score and remove whole channels; this says how wide each is.
    /// </summary>
    public int UnitWidth => Members.Where(m => m.Role == SliceRole.Producer).Select(m => m.BlockSize).DefaultIfEmpty(1).Max();
}

/// <summary>
/// Channel k of a group owns indices [Offset + k·BlockSize, Offset + (k+1)·BlockSize) along
/// <paramref name="Axis"/> of initializer <paramref name="Initializer"/>.
/// BlockSize is 1 except after Flatten (a channel owns H·W features of the Gemm input);
/// Offset is non-zero where a Concat places the group's channels after others.
/// </summary>
public sealed record ParameterSlice(string Initializer, int Axis, int Offset, int BlockSize, SliceRole Role);

/// <summary>How a slice relates to the group's channels.</summary>
public enum SliceRole
{
    /// <summary>The weight/bias that produces the channel (Conv/Gemm output rows).</summary>
    Producer,
    /// <summary>Per-channel parameters the channel passes through (BatchNormalization, PRelu, depthwise conv).</summary>
    PassThrough,
    /// <summary>The consumer's input slice that reads the channel (next Conv in-channels, Gemm columns).</summary>
    Consumer,
}

/// <summary>
/// Tensor <paramref name="Tensor"/>, as node <paramref name="Reader"/> (named by its first output) reads it
/// at its first input, carries the group's channels on <paramref name="Axis"/> at indices
/// [Offset, Offset + Channels·Block) (Offset is non-zero after a Concat), each channel <paramref name="Block"/>
/// consecutive indices (an attention head's head_dim where the heads are merged back). Its first axis holds the examples,
/// or, where a Reshape folded tokens into it, <paramref name="RowsBefore"/> × examples × <paramref name="RowsAfter"/> rows
/// (ViT's [T·N, width]: T before each example), which the Fisher signal sums per example.
/// </summary>
public sealed record GateSite(string Tensor, int Axis, int Offset, string Reader, int Block = 1, int RowsBefore = 1, int RowsAfter = 1);

/// <summary>
/// Output <paramref name="Output"/> of the Split node named by its first output <paramref name="Split"/> carries
/// the group's channels, each <paramref name="Block"/> indices wide: surgery shrinks that output's size.
/// </summary>
public sealed record SplitPart(string Split, int Output, int Block);

/// <summary>
/// Reshape <paramref name="Reshape"/> (by its first output) reads the group's channels on <paramref name="InputAxis"/> and
/// writes them on output axis <paramref name="Axis"/>, which holds <paramref name="Total"/> channels in all: surgery
/// rewrites its target with that axis shrunk in proportion to the channels kept (the head count, or the merged width).
/// </summary>
public sealed record ReshapeSite(string Reshape, int InputAxis, int Axis, long Total);

/// <summary>
/// Slice <paramref name="Slice"/> (by its first output) cuts <paramref name="Axis"/> of a tensor where channel k of the group
/// sits at indices [Offset + k·Block, Offset + (k+1)·Block): surgery moves its bounds past the removed indices.
/// </summary>
public sealed record SliceSite(string Slice, int Axis, int Offset, int Block);

/// <summary>
/// Node <paramref name="Node"/> (by its first output) multiplies activations that carry <paramref name="Total"/> channels
/// on a batch axis (attention scores, one product per head): its FLOPs shrink by 1/Total per removed channel.
/// </summary>
public sealed record ScaledCost(string Node, long Total);
