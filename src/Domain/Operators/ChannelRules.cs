using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>Channel rules several operators share.</summary>
internal static class ChannelRules
{
    /// <summary>Holds everything the node reads or writes: for operators Shears cannot prune through.</summary>
    public static void Opaque(NodeProto node, ChannelGroupAnalysis.Walk walk) =>
        walk.Opaque(node, $"{OperatorRegistry.Describe(node)} '{node.DisplayName()}' is not something Shears can prune through");

    /// <summary>A rule that needs channels on the node's first input; without them the node is opaque.</summary>
    public static ChannelRule OnFirstInput(Action<NodeProto, ChannelGroupAnalysis.Walk, ChannelLayout> rule) => (node, walk) =>
    {
        if (walk.Layout(node.Input[0]) is { } x)
            rule(node, walk, x);
        else
            Opaque(node, walk);
    };

    /// <summary>Element by element: the output carries the input's channels where the input had them.</summary>
    public static readonly ChannelRule Elementwise = OnFirstInput(PassElementwise);

    /// <summary>
    /// Element by element; with flattened blocks no gate can sit on the output, except behind
    /// operators that keep zeros zero and scale nothing (the gate in front of the flatten still acts).
    /// </summary>
    public static void PassElementwise(NodeProto node, ChannelGroupAnalysis.Walk walk, ChannelLayout x)
    {
        var output = node.Output[0];
        walk.SetLayout(output, x.Block == 1 ? x.GatedAt(output, x.Axis)
            : node.OpType is "Identity" or "Dropout" or "Cast" or "Relu" ? x : x with { GateTensor = null });
    }

    /// <summary>Spatial pooling: channels pass on axis 1; a second output (MaxPool's indices) that is read holds them.</summary>
    public static readonly ChannelRule SpatialPool = OnFirstInput((node, walk, x) =>
    {
        if (x.Axis != 1 || x.Block != 1 || node.Output.Skip(1).Any(o => o != "" && walk.Graph.ReadersOf(o).Count > 0))
        {
            walk.Opaque(node, $"{node.OpType} '{node.DisplayName()}' does not pool over spatial axes only");
            return;
        }
        walk.SetLayout(node.Output[0], x.GatedAt(node.Output[0], 1));
    });
}
