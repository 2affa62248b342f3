namespace Shears.Domain.Graph;

/// <summary>
/// Parameters and FLOPs of a graph in one pruning state. FLOPs are per example (batch 1) and count
/// 2 × multiply-adds of Conv, Gemm and MatMul only; element-wise work is not counted.
/// </summary>
/// <param name="NodeFlops">FLOPs of each node, aligned with <see cref="Onnx.OnnxGraph.Nodes"/>.</param>
/// <param name="Traffic">
/// Activation elements per example that the Conv, Gemm and MatMul nodes with weights read (a convolution's im2col rows) and
/// write: the memory a CPU moves besides the arithmetic, which FLOPs alone do not see (a narrow layer at high resolution
/// does little arithmetic per element it moves).
/// </param>
public sealed record CostMeasurement(long Params, long Flops, IReadOnlyList<long> NodeFlops, long Traffic = 0);
