using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace Shears.Worker.Engine;

/// <summary>Runs an ONNX model in ONNX Runtime: outputs for a batch, and latency as a user would see it.</summary>
public sealed class OnnxRuntimeRunner : IDisposable
{
    private readonly InferenceSession session;
    private readonly string inputName;

    public OnnxRuntimeRunner(byte[] onnx, int intraOpThreads = 1)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        session = new InferenceSession(onnx, options);
        inputName = session.InputMetadata.Keys.First();
    }

    /// <summary>The first output for <paramref name="input"/> laid out as <paramref name="shape"/>.</summary>
    public float[] Run(float[] input, long[] shape)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [inputName], [value], [session.OutputNames[0]]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Wall times of <paramref name="repeats"/> runs on one batch, after warm-up, in milliseconds, shortest first.</summary>
    public double[] LatenciesMs(float[] input, long[] shape, int repeats, int warmup)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        var times = new double[repeats];
        for (var i = -warmup; i < repeats; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using (session.Run(runOptions, [inputName], [value], [session.OutputNames[0]]))
            {
            }
            if (i >= 0)
                times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        Array.Sort(times);
        return times;
    }

    public void Dispose() => session.Dispose();
}
