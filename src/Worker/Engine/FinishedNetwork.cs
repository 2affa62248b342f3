using System.Text.Json;
using Shears.Worker.Engine.Checkpoints;

namespace Shears.Worker.Engine;

/// <summary>
/// One pruned network ready to hand out: the shrunk ONNX file (checked against the masked network), its weights, its figures
/// (latency measured side by side with the original, whose time is <paramref name="OriginalLatencyMs"/>) and its widths.
/// </summary>
public sealed record FinishedNetwork(byte[] PrunedOnnx, byte[] WeightsSafetensors, NetworkMetrics After, IReadOnlyList<LayerWidth> Layers,
    double OriginalLatencyMs)
{
    private sealed record Figures(NetworkMetrics After, IReadOnlyList<LayerWidth> Layers, double OriginalLatencyMs);

    /// <summary>Keeps it in a checkpoint under <paramref name="prefix"/>, so a job interrupted later does not make it again.</summary>
    public void SaveInto(CheckpointData data, string prefix)
    {
        data.PutBytes($"{prefix}/onnx", PrunedOnnx);
        data.PutBytes($"{prefix}/weights", WeightsSafetensors);
        data.PutBytes($"{prefix}/figures", JsonSerializer.SerializeToUtf8Bytes(new Figures(After, Layers, OriginalLatencyMs)));
    }

    /// <exception cref="InvalidDataException">The checkpoint does not hold one under <paramref name="prefix"/>.</exception>
    public static FinishedNetwork Load(CheckpointData data, string prefix)
    {
        var figures = JsonSerializer.Deserialize<Figures>(data.Bytes($"{prefix}/figures"))
            ?? throw new InvalidDataException($"The checkpoint's '{prefix}/figures' is empty.");
        return new FinishedNetwork(data.Bytes($"{prefix}/onnx"), data.Bytes($"{prefix}/weights"), figures.After, figures.Layers, figures.OriginalLatencyMs);
    }
}
