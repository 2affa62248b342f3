using Shears.Domain.Graph;
using Shears.Domain.Onnx;
using Shears.Worker.Engine.Graph;
using static TorchSharp.torch;

namespace Shears.Worker.Tests;

public class ChannelGatesTests
{
    private static readonly float[] LeftFirst = [0.5f, 2f], LeftLast = [1f, 0f], RightLast = [0f, 1f, 3f];

    /// <summary>
    /// L0 sets fresh gates every step, each in that step's dispose scope. Where two groups share a tensor
    /// (after a Concat) setting one group rebuilds the shared multiplier from the other group's latest
    /// gate, which was set in an earlier step's scope: it must still be there, with its values.
    /// </summary>
    [Fact]
    public void A_gate_set_in_an_ended_scope_stays_in_place_beside_a_concatenated_neighbour()
    {
        var b = new OnnxBuilder([-1, 1, 6, 6]);
        var left = b.Node("Conv", [b.Input, b.Weight(2, 1, 3, 3), b.Weight(2)]);
        var right = b.Node("Conv", [b.Input, b.Weight(3, 1, 3, 3), b.Weight(3)]);
        var mixed = b.Node("Conv", [b.Node("Concat", [left, right], ("axis", 1L)), b.Weight(4, 5, 1, 1)]);
        var graph = OnnxGraph.Parse(b.Build(b.Node("Gemm", [b.Node("Flatten", [b.Node("GlobalAveragePool", [mixed])]), b.Weight(10, 4)], ("transB", 1L))));
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        var (leftGroup, rightGroup) = (groups.Single(g => g.Channels == 2).Id, groups.Single(g => g.Channels == 3).Id);
        using var module = new GraphModule(graph, CPU);
        using var x = rand(2, 1, 6, 6);
        using var gates = new ChannelGates(module, groups);

        using (NewDisposeScope())
        {
            gates.Set(leftGroup, tensor(LeftFirst), keep: false);
            gates.Set(rightGroup, tensor(RightLast), keep: false);
        }
        float[] stepwise;
        using (NewDisposeScope())
        {
            gates.Set(leftGroup, tensor(LeftLast), keep: false);
            stepwise = module.forward(x).data<float>().ToArray();
        }

        using var leftGate = tensor(LeftLast);
        using var rightGate = tensor(RightLast);
        gates.Set(leftGroup, leftGate);
        gates.Set(rightGroup, rightGate);
        using var expected = module.forward(x);
        Assert.Equal(expected.data<float>().ToArray(), stepwise);
    }
}
