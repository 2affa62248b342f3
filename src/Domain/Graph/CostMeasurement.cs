namespace Shears.Domain.Graph;

/// <summary>
/// Parameters and FLOPs of a graph in one pruning state. FLOPs are per example (batch 1) and count
/// 2 × multiply-adds of Conv, Gemm and MatMul only; element-wise work is not counted.
/// </summary>
/// <param name="NodeFlops">FLOPs of each node, aligned with <see cref="Onnx.OnnxGraph.Nodes"/>.</param>
public sealed record CostMeasurement(long Params, long Flops, IReadOnlyList<long> NodeFlops);
