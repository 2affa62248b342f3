using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Shears.Domain.Tests.Onnx;

/// <summary>Runs a model once in ONNX Runtime on a seeded random input.</summary>
internal static class OnnxRuntimeRunner
{
    public static float[] Run(byte[] model, long[] inputShape, int seed = 7)
    {
        using var session = new InferenceSession(model);
        var input = session.InputMetadata.Keys.Single();
        var random = new Random(seed);
        var count = (int)inputShape.Aggregate(1L, (a, d) => a * d);
        var data = Enumerable.Range(0, count).Select(_ => (float)random.NextDouble()).ToArray();
        var tensor = new DenseTensor<float>(data, [.. inputShape.Select(d => (int)d)]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, tensor)]);
        return [.. results[0].AsEnumerable<float>()];
    }

    /// <summary>Every output of the model, one after another, for the given inputs.</summary>
    public static float[] Run(byte[] model, IReadOnlyCollection<NamedOnnxValue> inputs)
    {
        using var session = new InferenceSession(model);
        using var results = session.Run(inputs);
        return [.. results.SelectMany(r => r.AsEnumerable<float>())];
    }

    /// <summary>
    /// Every element within <paramref name="relative"/> of the expected one, measured against its own size or, for elements
    /// near zero, a thousandth of the largest expected magnitude (outputs can be large or tiny).
    /// </summary>
    public static void AssertRelativelyClose(float[] expected, float[] actual, float relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        var floor = 1e-3f * expected.Max(Math.Abs);
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a) / Math.Max(Math.Abs(e), floor)).Max();
        Assert.True(worst <= relative, $"outputs differ by up to {worst:G3} of their size, more than {relative}");
    }

    public static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= tolerance, $"outputs differ by up to {worst}, more than {tolerance}");
    }
}
