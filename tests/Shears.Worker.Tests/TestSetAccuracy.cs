using Shears.Worker.Engine;
using Shears.Worker.Engine.Runtime;

namespace Shears.Worker.Tests;

/// <summary>Top-1 accuracy of an ONNX classifier of 28×28 Fashion-MNIST images in ONNX Runtime on the fixtures' test images.</summary>
internal static class TestSetAccuracy
{
    public static double Of(byte[] onnx, int count = 1000)
    {
        var test = Fixtures.Test1k(count);
        using var runtime = new OnnxRuntimeRunner(onnx);
        var logits = runtime.Run([.. test.Pixels().Select(v => v / 255f)], [count, 1, 28, 28]);
        var classes = logits.Length / count;
        var correct = Enumerable.Range(0, count).Count(n => ArgMax(logits.AsSpan(n * classes, classes)) == test.Labels![n]);
        return (double)correct / count;
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
            if (values[i] > values[best])
                best = i;
        return best;
    }
}
