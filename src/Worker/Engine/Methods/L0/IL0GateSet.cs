using Shears.Worker.Engine.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Methods.L0;

/// <summary>
/// Hard-concrete gates on a network, whatever they gate (channels of groups, single weights), as the
/// gate training sees them: sample, penalise by expected cost, clamp, read the test-time result; and their
/// log α and noise position in a checkpoint.
/// </summary>
public interface IL0GateSet : ICheckpointed
{
    IEnumerable<Parameter> LogAlphas { get; }

    /// <summary>The cost the penalty and the target count, unpruned (parameters or FLOPs).</summary>
    double FullCost { get; }

    /// <summary>One gate sample for this mini-batch, laid on the network in the current dispose scope.</summary>
    void Sample();

    void Clamp(double min, double max);

    /// <summary>The expected cost under the gate distribution minus the full cost, as a fraction of it (≤ 0); differentiable.</summary>
    Tensor ExpectedCostChange();

    /// <summary>The same for the test-time gates (what closed gates would remove); on the device, no gradient.</summary>
    Tensor TestTimeCostChange();

    /// <summary>Held-out accuracy with the test-time gates.</summary>
    double? AccuracyWithTestTimeGates();

    /// <summary>A short account of the open gates, for progress messages.</summary>
    string DescribeOpen();
}
