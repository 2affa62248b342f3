using Shears.Domain.Datasets;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine;

namespace Shears.Bench;

/// <summary>The first test images as one batch of the engine's latency batch size, for timing a network outside a job.</summary>
internal static class LatencyInputs
{
    public static HostTensor Of(OnnxGraph graph, Dataset test)
    {
        var batch = PruningEngine.LatencyBatch;
        var images = test.Arrays[0];
        var scale = images.IsByteData ? 1f / 255 : 1f;
        var input = images.Floats!.AsSpan(0, batch * images.SampleSize).ToArray().Select(v => v * scale).ToArray();
        return new HostTensor(graph.Inputs[0].Name, [batch, .. graph.Inputs[0].Shape.Skip(1).Select(d => (long)d)], input);
    }
}
