namespace Shears.Worker.Engine;

/// <summary>Worker-level engine configuration (section <c>Engine</c>).</summary>
/// <param name="Threads">libtorch intra-op threads for training (<c>torch.set_num_threads</c>); 0 keeps libtorch's default.</param>
/// <param name="LatencyRepeats">ONNX Runtime runs whose median is the reported latency.</param>
public sealed record EngineSettings(int Threads = 0, int LatencyRepeats = 30);
