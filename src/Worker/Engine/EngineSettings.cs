namespace Shears.Worker.Engine;

/// <summary>Worker-level engine configuration (section <c>Engine</c>).</summary>
/// <param name="Threads">libtorch intra-op threads for training (<c>torch.set_num_threads</c>); 0 keeps libtorch's default.</param>
/// <param name="LatencyRepeats">ONNX Runtime runs per round whose median is that round's latency.</param>
/// <param name="LatencyRounds">Alternating rounds of the original and the pruned network; the reported latency is the median round.</param>
/// <param name="MaxHeldDatasetBytes">Datasets of arrays (IDX, .npy, .npz, .safetensors) up to this size as float32 (int64 for ids
/// and masks) are held on the device; larger ones, and image archives, are read from the store a batch at a time.</param>
public sealed record EngineSettings(int Threads = 0, int LatencyRepeats = 15, int LatencyRounds = 5, long MaxHeldDatasetBytes = EngineSettings.DefaultMaxHeldDatasetBytes)
{
    public const long DefaultMaxHeldDatasetBytes = 256L << 20;
}
