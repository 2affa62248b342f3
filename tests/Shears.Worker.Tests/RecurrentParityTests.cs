namespace Shears.Worker.Tests;

/// <summary>GRU (as torch.nn.GRU exports it, and with the reset gate applied before the recurrent product) against ONNX Runtime.</summary>
public class RecurrentParityTests
{
    [Fact]
    public void Gru_states_match_onnx_runtime()
    {
        var b = new OnnxBuilder([-1, 6, 4]);
        var x = b.Node("Transpose", [b.Input], ("perm", new long[] { 1, 0, 2 }));
        var exported = b.Nodes("GRU", 2, [x, b.Weight(1, 15, 4), b.Weight(1, 15, 5), b.Weight(1, 30)], ("hidden_size", 5L), ("linear_before_reset", 1L));
        var resetFirst = b.Nodes("GRU", 2, [x, b.Weight(1, 15, 4), b.Weight(1, 15, 5)], ("hidden_size", 5L));
        var last = b.Node("Squeeze", [exported[1], b.Ints(0)]);
        var mean = b.Node("ReduceMean", [resetFirst[0]], ("axes", new long[] { 0, 1 }), ("keepdims", 0L));
        OperatorParity.Assert(b.Build(b.Node("Concat", [last, mean], ("axis", 1L))), [3, 6, 4]);
    }
}
