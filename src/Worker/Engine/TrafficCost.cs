using Shears.Domain.Graph;

namespace Shears.Worker.Engine;

/// <summary>
/// A cost that follows CPU latency without timing anything: FLOPs plus the activation elements the Conv, Gemm and MatMul
/// layers read and write (<see cref="CostMeasurement.Traffic"/>), each element worth <see cref="FlopsPerElement"/> FLOPs.
/// FLOPs alone make a narrow layer at high resolution look cheap, though it moves as many elements per FLOP as any and runs
/// on poorly filled kernels, so a FLOPs ranking spares the layers that dominate latency: the small ResNet pruned by Fisher
/// to half its FLOPs kept its 28×28 layers at 7 and 5 of 8 channels and ran 1.28–1.31× faster (fastest runs, ONNX Runtime,
/// batch 64), ranked by this cost 6 and 4 and 1.43–1.45× (docs/defaults-bench.md). Not the default (<c>cost: traffic</c>
/// asks for it): zoo efficientnet ranked by it ran 0.85–0.91× its original's speed, by FLOPs 1.08–1.13×.
/// </summary>
public static class TrafficCost
{
    /// <summary>
    /// The FLOPs one activation element moved is worth. ONNX Runtime's time for the small ResNet cut to 14 sets of widths
    /// (fastest of 135 runs each, one thread, batch 64) fitted a·(FLOPs + k·elements) equally well for any k from 100 to
    /// 1,000 (rms 0.15–0.16 ms of 3–5 ms) and worse below (0.19 ms at 50, 0.26 at 25, 0.55 for FLOPs alone); the smallest
    /// of those keeps FLOPs weighing most in wide layers, whose GEMMs run near the CPU's peak.
    /// </summary>
    public const double FlopsPerElement = 100;

    public static double Of(CostMeasurement cost) => cost.Flops + FlopsPerElement * cost.Traffic;
}
