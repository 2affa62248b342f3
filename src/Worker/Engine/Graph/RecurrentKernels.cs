using Shears.Domain.Onnx;
using Shears.Domain.Operators;
using Onnx;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>
/// GRU (gates z, r, h) and LSTM (gates i, o, f, c), in ONNX's gate order, unrolled over time in each direction
/// (a reverse direction runs from the last step to the first, its states stored at their own time steps).
/// Output 0 is every step's state [time, directions, batch, hidden], output 1 the last state, LSTM's output 2 the last cell.
/// </summary>
internal static class RecurrentKernels
{
    public static IEnumerable<(string, OutputKernelBuilder)> All => [("GRU", Gru), ("LSTM", Lstm)];

    /// <summary>One time step: the input's projection (with its bias) and the state(s) before it; returns the state(s) after it.</summary>
    private delegate (Tensor Hidden, Tensor? Cell) Step(Tensor fromInput, Tensor hidden, Tensor? cell, Tensor recurrent, Tensor recurrentBias);

    private static Kernel Gru(NodeProto node, int output, IKernelContext context)
    {
        var linearBeforeReset = node.IntAttribute("linear_before_reset", 0) != 0;
        return Unrolled(node, output, context, gates: 3, (xt, state, _, r, rb) =>
        {
            var hidden = state.shape[1];
            var z = xt.narrow(1, 0, hidden).add(state.matmul(r.narrow(0, 0, hidden).t()).add(rb.narrow(0, 0, hidden), LiveScalars.One), LiveScalars.One).sigmoid();
            var reset = xt.narrow(1, hidden, hidden).add(state.matmul(r.narrow(0, hidden, hidden).t()).add(rb.narrow(0, hidden, hidden), LiveScalars.One), LiveScalars.One).sigmoid();
            var (rh, rbh) = (r.narrow(0, 2 * hidden, hidden).t(), rb.narrow(0, 2 * hidden, hidden));
            var candidate = (linearBeforeReset
                ? xt.narrow(1, 2 * hidden, hidden).add(reset.mul(state.matmul(rh).add(rbh, LiveScalars.One)), LiveScalars.One)
                : xt.narrow(1, 2 * hidden, hidden).add(reset.mul(state).matmul(rh).add(rbh, LiveScalars.One), LiveScalars.One)).tanh();
            return (candidate.add(z.mul(state.sub(candidate)), LiveScalars.One), null);
        });
    }

    private static Kernel Lstm(NodeProto node, int output, IKernelContext context) =>
        Unrolled(node, output, context, gates: 4, (xt, state, cell, r, rb) =>
        {
            var hidden = state.shape[1];
            var all = xt.add(state.matmul(r.t()).add(rb, LiveScalars.One), LiveScalars.One);
            var (input, outputGate, forget) = (all.narrow(1, 0, hidden).sigmoid(), all.narrow(1, hidden, hidden).sigmoid(), all.narrow(1, 2 * hidden, hidden).sigmoid());
            var next = forget.mul(cell!).add(input.mul(all.narrow(1, 3 * hidden, hidden).tanh()), LiveScalars.One);
            return (outputGate.mul(next.tanh()), next);
        });

    private static Kernel Unrolled(NodeProto node, int output, IKernelContext context, int gates, Step step)
    {
        var layer = RecurrentOperators.Check(node);
        var hidden = layer.Hidden;
        var hasCell = node.OpType == "LSTM";
        return inputs =>
        {
            var x = inputs[0].Tensor!;
            var (steps, batch) = ((int)x.shape[0], x.shape[1]);
            var outputs = new List<Tensor>();
            for (var direction = 0; direction < layer.Directions; direction++)
            {
                var w = inputs[1].Tensor![direction];
                var r = inputs[2].Tensor![direction];
                var bias = Optional(inputs, 3) is { } b ? b[direction] : zeros(2 * gates * hidden, device: context.Device);
                var (inputBias, recurrentBias) = (bias.narrow(0, 0, gates * hidden), bias.narrow(0, gates * hidden, gates * hidden));
                var state = Optional(inputs, 5) is { } h0 ? h0[direction] : zeros([batch, hidden], device: context.Device);
                var cell = !hasCell ? null : Optional(inputs, 6) is { } c0 ? c0[direction] : zeros([batch, hidden], device: context.Device);
                var fromInput = x.matmul(w.t()).add(inputBias, LiveScalars.One);
                var states = new Tensor[steps];
                var backwards = layer.Reverse || direction == 1;
                for (var i = 0; i < steps; i++)
                {
                    var t = backwards ? steps - 1 - i : i;
                    (state, cell) = step(fromInput[t], state, cell, r, recurrentBias);
                    states[t] = state;
                }
                outputs.Add(output switch { 0 => stack(states), 1 => state, _ => cell! });
            }
            return GraphValue.Of(stack(outputs, output == 0 ? 1 : 0));
        };
    }

    private static Tensor? Optional(GraphValue[] inputs, int index) => inputs.Length > index ? inputs[index].Tensor : null;
}
