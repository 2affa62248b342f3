using Shears.Domain.Onnx;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Runtime;
using static TorchSharp.torch;

namespace Shears.Worker.Tests;

/// <summary>Runs one input through ONNX Runtime and through the TorchSharp graph module (eval mode).</summary>
internal static class Parity
{
    public static float MaxDifference(byte[] onnx, float[] input, long[] shape)
    {
        using var module = new GraphModule(OnnxGraph.Parse(onnx), CPU);
        return MaxDifference(onnx, module, input, shape);
    }

    /// <summary>ONNX Runtime on <paramref name="onnx"/> against a given module (e.g. the unpruned network carrying gates).</summary>
    public static float MaxDifference(byte[] onnx, GraphModule module, float[] input, long[] shape)
    {
        using var runtime = new OnnxRuntimeRunner(onnx);
        var expected = runtime.Run(input, shape);

        module.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var actual = module.forward(tensor(input, shape)).data<float>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        return expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
    }
}
