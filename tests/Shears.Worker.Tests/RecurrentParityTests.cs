namespace Shears.Worker.Tests;

/// <summary>GRU and LSTM, forward (as torch.nn exports them), reverse and bidirectional, against ONNX Runtime.</summary>
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

    [Theory]
    [InlineData("bidirectional", 2)]
    [InlineData("reverse", 1)]
    public void A_gru_in_either_direction_matches_onnx_runtime(string direction, int directions)
    {
        var b = new OnnxBuilder([-1, 6, 4]);
        var x = b.Node("Transpose", [b.Input], ("perm", new long[] { 1, 0, 2 }));
        var gru = b.Nodes("GRU", 2, [x, b.Weight(directions, 15, 4), b.Weight(directions, 15, 5), b.Weight(directions, 30)],
            ("hidden_size", 5L), ("linear_before_reset", 1L), ("direction", direction));
        OperatorParity.Assert(b.Build(b.Node("Concat", [Flattened(b, gru[0]), FlattenedLast(b, gru[1])], ("axis", 1L))), [3, 6, 4]);
    }

    /// <summary>
    /// torch.nn.LSTM's export: zero initial states, every output; and one with given initial states read from the input.
    /// Every step's states (each direction at its own time step), the last state and the last cell.
    /// </summary>
    [Theory]
    [InlineData("forward", 1)]
    [InlineData("reverse", 1)]
    [InlineData("bidirectional", 2)]
    public void Lstm_states_and_cells_match_onnx_runtime(string direction, int directions)
    {
        var b = new OnnxBuilder([-1, 6, 4]);
        var x = b.Node("Transpose", [b.Input], ("perm", new long[] { 1, 0, 2 }));
        var initialState = b.Node("Slice", [b.Node("Transpose", [b.Input], ("perm", new long[] { 2, 0, 1 })), b.Ints(0, 0), b.Ints(directions, 3), b.Ints(0, 2)]);
        var lstm = b.Nodes("LSTM", 3, [x, b.Weight(directions, 12, 4), b.Weight(directions, 12, 3), b.Weight(directions, 24), "", initialState, initialState],
            ("hidden_size", 3L), ("direction", direction));
        var plain = b.Nodes("LSTM", 3, [x, b.Weight(directions, 12, 4), b.Weight(directions, 12, 3)], ("hidden_size", 3L), ("direction", direction));
        var all = b.Node("Concat", [Flattened(b, lstm[0]), FlattenedLast(b, lstm[1]), FlattenedLast(b, lstm[2]), Flattened(b, plain[0])], ("axis", 1L));
        OperatorParity.Assert(b.Build(all), [3, 6, 4]);
    }

    /// <summary>Every step's states [time, directions, batch, hidden] → [batch, the rest].</summary>
    private static string Flattened(OnnxBuilder b, string states) =>
        b.Node("Flatten", [b.Node("Transpose", [states], ("perm", new long[] { 2, 0, 1, 3 }))], ("axis", 1L));

    /// <summary>The last states (or cells) [directions, batch, hidden] → [batch, the rest].</summary>
    private static string FlattenedLast(OnnxBuilder b, string states) => Flattened(b, b.Node("Unsqueeze", [states, b.Ints(0)]));
}
