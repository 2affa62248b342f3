namespace Shears.Worker.Engine;

/// <summary>Worker-level engine configuration (section <c>Engine</c>).</summary>
/// <param name="Threads">libtorch intra-op threads for training (<c>torch.set_num_threads</c>); 0 keeps libtorch's default.</param>
/// <param name="LatencyRepeats">ONNX Runtime runs per round whose median is that round's latency.</param>
/// <param name="LatencyRounds">Alternating rounds of the original and the pruned network; the reported latency is the median round.</param>
public sealed record EngineSettings(int Threads = 0, int LatencyRepeats = 15, int LatencyRounds = 5);
