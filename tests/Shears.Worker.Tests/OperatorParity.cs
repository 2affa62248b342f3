using Shears.Domain.Graph;
using Shears.Domain.Onnx;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Runtime;

namespace Shears.Worker.Tests;

/// <summary>
/// One small graph through inspection, ONNX Runtime and the engine: the inspection accepts it, its inferred
/// output shape has as many elements as ONNX Runtime's output, and the engine's values match.
/// </summary>
internal static class OperatorParity
{
    public static void Assert(byte[] onnx, long[] shape, double tolerance = 1e-4)
    {
        var inspection = ModelInspector.Inspect(onnx);
        Xunit.Assert.Empty(inspection.UnsupportedOps);
        var graph = OnnxGraph.Parse(onnx);
        var inferred = graph.Shapes[graph.Outputs[0].Name].Select(d => d < 0 ? shape[0] : d).Aggregate(1L, (a, d) => a * d);

        var random = new Random(3);
        var input = new float[shape.Aggregate(1L, (a, c) => a * c)];
        for (var i = 0; i < input.Length; i++)
            input[i] = (float)(random.NextDouble() * 2 - 1);
        using (var runtime = new OnnxRuntimeRunner(onnx))
            Xunit.Assert.Equal(inferred, runtime.Run(input, shape).Length);
        var worst = Parity.MaxDifference(onnx, input, shape);
        Xunit.Assert.True(worst < tolerance, $"max |ORT − TorchSharp| = {worst}");
    }
}
