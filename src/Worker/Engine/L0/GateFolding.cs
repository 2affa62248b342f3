using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Worker.Engine.L0;

/// <summary>
/// Where a fractional gate can be folded into weights exactly. A gate multiplies a tensor at its
/// <see cref="GateSite"/>; folding it into the group's <see cref="SliceRole.Consumer"/> slices is exact only
/// if the consumers are the tensor's only readers. On a residual trunk the same tensor also feeds a
/// skip Add, which would read it unscaled after folding (and through the next block's nonlinearity no
/// weight can absorb the gate), so such groups get 0/1 gates instead.
/// </summary>
public static class GateFolding
{
    /// <summary>True when every tensor the group gates is read only by channel-mixing consumers (directly or through a flatten).</summary>
    public static bool FoldsExactly(OnnxGraph graph, ChannelGroup group) =>
        group.GateSites.All(site => ReadOnlyByConsumers(graph, site.Tensor));

    private static bool ReadOnlyByConsumers(OnnxGraph graph, string tensor) =>
        tensor != graph.OutputName && graph.ReadersOf(tensor) is { Count: > 0 } readers && readers.All(node => node.Input[0] == tensor && node.OpType switch
        {
            "Conv" => node.IntAttribute("group", 1) == 1,
            "Gemm" or "MatMul" => true,
            "Shape" => true, // reads the shape only
            "Flatten" or "Reshape" => ReadOnlyByConsumers(graph, node.Output[0]),
            _ => false,
        });
}
