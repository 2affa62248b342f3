using Shears.Domain.Onnx;
using Shears.Domain.Operators;
using Onnx;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>GRU (forward, gates z, r, h as ONNX orders them), unrolled over time; output 0 is every step's state, output 1 the last.</summary>
internal static class RecurrentKernels
{
    public static IEnumerable<(string, OutputKernelBuilder)> All => [("GRU", Gru)];

    private static Kernel Gru(NodeProto node, int output, IKernelContext context)
    {
        var hidden = RecurrentOperators.CheckGru(node);
        var linearBeforeReset = node.IntAttribute("linear_before_reset", 0) != 0;
        return inputs =>
        {
            var x = inputs[0].Tensor!;
            var (steps, batch) = (x.shape[0], x.shape[1]);
            var w = inputs[1].Tensor![0];
            var r = inputs[2].Tensor![0];
            var bias = inputs.Length > 3 && inputs[3].Tensor is { } b ? b[0] : zeros(6 * hidden, device: context.Device);
            var (inputBias, recurrentBias) = (bias.narrow(0, 0, 3 * hidden), bias.narrow(0, 3 * hidden, 3 * hidden));
            var state = inputs.Length > 5 && inputs[5].Tensor is { } h0 ? h0[0] : zeros([batch, hidden], device: context.Device);
            var fromInput = x.matmul(w.t()).add(inputBias, LiveScalars.One);
            var states = new List<Tensor>((int)steps);
            for (var t = 0; t < steps; t++)
            {
                var xt = fromInput[t];
                var z = xt.narrow(1, 0, hidden).add(state.matmul(r.narrow(0, 0, hidden).t()).add(recurrentBias.narrow(0, 0, hidden), LiveScalars.One), LiveScalars.One).sigmoid();
                var reset = xt.narrow(1, hidden, hidden).add(state.matmul(r.narrow(0, hidden, hidden).t()).add(recurrentBias.narrow(0, hidden, hidden), LiveScalars.One), LiveScalars.One).sigmoid();
                var (rh, rbh) = (r.narrow(0, 2 * hidden, hidden).t(), recurrentBias.narrow(0, 2 * hidden, hidden));
                var candidate = (linearBeforeReset
                    ? xt.narrow(1, 2 * hidden, hidden).add(reset.mul(state.matmul(rh).add(rbh, LiveScalars.One)), LiveScalars.One)
                    : xt.narrow(1, 2 * hidden, hidden).add(reset.mul(state).matmul(rh).add(rbh, LiveScalars.One), LiveScalars.One)).tanh();
                state = candidate.add(z.mul(state.sub(candidate)), LiveScalars.One);
                states.Add(state);
            }
            return GraphValue.Of(output == 0 ? stack(states).unsqueeze(1) : state.unsqueeze(0));
        };
    }
}
