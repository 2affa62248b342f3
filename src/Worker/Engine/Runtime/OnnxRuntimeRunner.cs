using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Shears.Worker.Data;

namespace Shears.Worker.Engine.Runtime;

/// <summary>Runs an ONNX model in ONNX Runtime: outputs for a batch, and latency as a user would see it.</summary>
public sealed class OnnxRuntimeRunner : IDisposable
{
    private readonly InferenceSession session;

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
    }

    /// <summary>The first output of a one-input network for <paramref name="input"/> laid out as <paramref name="shape"/>.</summary>
    public float[] Run(float[] input, long[] shape) => Run([new HostTensor(session.InputMetadata.Keys.First(), shape, input)])[0];

    /// <summary>Every output, in the model's order, for a value per input (matched by name).</summary>
    public float[][] Run(IReadOnlyList<HostTensor> inputs)
    {
        var values = inputs.Select(i => i.ToOrtValue()).ToList();
        try
        {
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, [.. inputs.Select(i => i.Name)], values, session.OutputNames);
            return [.. outputs.Select(o => o.GetTensorDataAsSpan<float>().ToArray())];
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    /// <summary>Wall times of <paramref name="repeats"/> runs on one batch, after warm-up, in milliseconds, shortest first.</summary>
    public double[] LatenciesMs(IReadOnlyList<HostTensor> inputs, int repeats, int warmup)
    {
        var values = inputs.Select(i => i.ToOrtValue()).ToList();
        var names = inputs.Select(i => i.Name).ToArray();
        try
        {
            using var runOptions = new RunOptions();
            var times = new double[repeats];
            for (var i = -warmup; i < repeats; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using (session.Run(runOptions, names, values, session.OutputNames))
                {
                }
                if (i >= 0)
                    times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
            Array.Sort(times);
            return times;
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    public void Dispose() => session.Dispose();
}
