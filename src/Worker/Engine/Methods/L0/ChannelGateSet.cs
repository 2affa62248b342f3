using Shears.Worker.Engine.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Methods.L0;

/// <summary>Channel gates (<see cref="L0Gates"/>) costed by the quadratic surrogate of what their groups remove (<see cref="ExpectedCost"/>).</summary>
public sealed class ChannelGateSet(L0Gates gates, ExpectedCost cost) : IL0GateSet
{
    public IEnumerable<Parameter> LogAlphas => gates.LogAlphas;

    public double FullCost => cost.Full;

    public void Sample() => gates.Sample();

    public void Clamp(double min, double max) => gates.Clamp(min, max);

    public Tensor ExpectedCostChange() => cost.ChangeAt(gates.ExpectedRemoved());

    public Tensor TestTimeCostChange() => cost.ChangeAt(gates.ClosedRemoved());

    public double? AccuracyWithTestTimeGates() => gates.AccuracyWithTestTimeGates();

    public string DescribeOpen() => $"open gates per layer {gates.DescribeOpen()}";

    public void Save(CheckpointData data) => gates.Save(data);

    public void Restore(CheckpointData data) => gates.Restore(data);
}
