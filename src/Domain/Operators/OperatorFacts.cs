using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>Sets the shapes (and small integer values) of a node's outputs from its inputs'.</summary>
internal delegate void ShapeRule(NodeProto node, ShapeContext context);

/// <summary>Says how the channels of a node's inputs reach its outputs (produced, consumed, passed, merged or held).</summary>
internal delegate void ChannelRule(NodeProto node, ChannelGroupAnalysis.Walk walk);

/// <summary>The FLOPs a node costs per example, or null when it is counted as free.</summary>
internal delegate FlopCount? CostRule(NodeProto node, OnnxGraph graph);

/// <summary>
/// Everything the Domain knows about one ONNX operator, in one place: how its output shapes follow from
/// its inputs, how channels pass through it, what it costs and which of its inputs are trained.
/// How it executes lives in the Worker's kernel registry under the same name (a test checks the two sets agree).
/// </summary>
public sealed class OperatorFacts
{
    private readonly HashSet<int> constantInputs;
    private readonly HashSet<int> bufferInputs;

    internal OperatorFacts(string name, ShapeRule shape, ChannelRule channels, CostRule? cost = null,
        int[]? constantInputs = null, int[]? bufferInputs = null, bool followsHeads = false, bool producesFromInitializers = false)
    {
        Name = name;
        FollowsHeads = followsHeads;
        ProducesFromInitializers = producesFromInitializers;
        Shape = shape;
        Channels = channels;
        Cost = cost;
        this.constantInputs = new HashSet<int>(constantInputs ?? []);
        this.bufferInputs = new HashSet<int>(bufferInputs ?? []);
    }

    public string Name { get; }

    internal ShapeRule Shape { get; }

    internal ChannelRule Channels { get; }

    internal CostRule? Cost { get; }

    /// <summary>
    /// Its channel rule follows channels spread over several axes (attention heads: <see cref="ChannelLayout.Within"/>,
    /// <see cref="ChannelLayout.Outer"/>, <see cref="ChannelLayout.Batched"/>); any other operator holds them.
    /// </summary>
    internal bool FollowsHeads { get; }

    /// <summary>
    /// The node can create channels from an initializer alone (an embedding looked up at positions computed from the input's
    /// shape), so the channel analysis visits it even when none of its inputs carries channels.
    /// </summary>
    internal bool ProducesFromInitializers { get; }

    /// <summary>What a float initializer read at input <paramref name="index"/> is: trained, a running statistic, or a constant (a bound, a ratio, a pad value).</summary>
    public InitializerRole RoleOfInput(int index) =>
        bufferInputs.Contains(index) ? InitializerRole.Buffer : constantInputs.Contains(index) ? InitializerRole.Constant : InitializerRole.Parameter;
}

/// <summary>What a float initializer is to training. Ordered: a tensor read in several roles takes the highest.</summary>
public enum InitializerRole
{
    /// <summary>A fixed value: a Clip bound, a pad value, a dropout ratio, a shape.</summary>
    Constant,
    /// <summary>Updated by the forward pass, not by gradients (BatchNormalization running statistics).</summary>
    Buffer,
    /// <summary>Trained by gradient descent.</summary>
    Parameter,
}

/// <summary>
/// FLOPs per example: 2 × elements(<paramref name="Weight"/>) × <paramref name="PerWeight"/> when the weight is an
/// initializer (pruning shrinks it), else <paramref name="Fixed"/>. A node with a weight also moves activations, counted
/// per example in <see cref="CostMeasurement.Traffic"/>: at each of its <paramref name="PerWeight"/> positions it writes
/// the weight's extent on <paramref name="OutputAxis"/> (its output channels) and reads elements(Weight) ÷
/// <paramref name="WeightsPerRead"/> elements: 0 stands for the output extent, so an ungrouped convolution reads its im2col
/// row (in-channels × kernel) and a Gemm its input row; a grouped convolution, run by direct kernels, reads its input once
/// (weights per input element: the filters of a conv group × the kernel's elements). −1: no traffic counted.
/// </summary>
internal sealed record FlopCount(string? Weight, long PerWeight, long Fixed, int OutputAxis = -1, long WeightsPerRead = 0)
{
    public static FlopCount OfWeight(string weight, long positions, int outputAxis, long weightsPerRead = 0) =>
        new(weight, positions, 0, outputAxis, weightsPerRead);

    public static FlopCount Constant(long flops) => new(null, 0, flops);
}
