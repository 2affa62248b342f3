using Shears.Worker.Engine.Checkpoints;
using Shears.Worker.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Methods.L0;

/// <summary>
/// The gate-training phase of an L0 job: weights and log α trained together against the
/// cross-entropy plus λ · expected cost fraction, with λ either fixed (the paper's λ/N per unit of
/// cost) or a dual variable steered toward the target. λ lives on the device and the controller
/// reads the test-time gates there, so a step never waits for a host round trip beyond the loss.
/// </summary>
public sealed class L0GateTraining : ICheckpointed, IDisposable
{
    /// <summary>log α is clamped to [ln 0.01, ln 100] after every step, as in the authors' code.</summary>
    private static readonly double MinLogAlpha = Math.Log(0.01), MaxLogAlpha = Math.Log(100);

    /// <summary>How fast the dual variable λ moves: a factor e^(rate·gap/target) per step.</summary>
    private const double DualRate = 0.05;

    /// <summary>
    /// λ's start with a target. The penalty is a cost fraction, so λ ≈ 1 weighs a gate by its share of the
    /// network against the loss from the first step; a much smaller start spends most of a short job
    /// growing λ and then overshoots (measured: 300 steps on a 784-32-16-10 MLP collapsed its first layer).
    /// </summary>
    private const double InitialLambda = 1.0;

    /// <summary>λ moves every this many steps (by the factor of as many steps): the gates change little in between.</summary>
    private const int ControllerInterval = 8;

    /// <summary>The controller's goal falls from 1 to the target over this share of the gate training.</summary>
    private const double TargetWarmupShare = 0.6;

    private readonly PruningSession session;
    private readonly IL0GateSet gates;
    private readonly double? target;
    private readonly int steps;
    private readonly optim.Optimizer optimizer;
    private readonly Tensor lambda;

    public L0GateTraining(PruningSession session, IL0GateSet gates, double? target, int steps)
    {
        this.session = session;
        this.gates = gates;
        this.target = target;
        this.steps = steps;
        optimizer = new ScalarSafeAdam(gates.LogAlphas, GateLearningRate(steps));
        var initial = target is null ? session.Options.Lambda!.Value / session.Data.TrainCount * gates.FullCost : InitialLambda;
        lambda = full(1, initial, device: session.Module.Device).squeeze(0).DetachFromDisposeScope();
    }

    /// <summary>
    /// Gates need a larger step than the weights: at 1e-3 nothing closes for epochs (docs/design.md). A gate
    /// starting at log α = ln(1/p − 1) (2.2 at the default p = 0.1) closes below ln(1/11) ≈ −2.4, so short jobs get a step
    /// large enough to travel that far about twice within the budget.
    /// </summary>
    private static double GateLearningRate(int steps) => Math.Max(0.05, 10.0 / steps);

    /// <summary>λ now (reads the device).</summary>
    public double Lambda => lambda.item<float>();

    /// <summary>The expected cost fraction under the current gate distribution (reads the device).</summary>
    public double ExpectedFraction
    {
        get
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return 1 + gates.ExpectedCostChange().item<float>();
        }
    }

    /// <summary>
    /// Whether the expected cost is at or below the final target (reads the device). Gate training ends there: once the
    /// penalty outweighs the loss, gates close together within a few dozen steps, and training on past that point let the
    /// weights adapt to a network far below the target (small ResNet to half its FLOPs: expected cost 98% → 11% within the
    /// last 75 of 300 steps, held-out accuracy 9%); the final projection then removes the lowest log α to the target.
    /// </summary>
    public bool ExpectedCostReachedTarget => target is { } t && ExpectedFraction <= t;

    /// <summary>
    /// Training step <paramref name="step"/> (1-based) of the gate training: a gate sample per channel,
    /// cross-entropy plus λ · expected cost fraction (less the constant 1), one backward, a step of the weights' and of the
    /// gates' optimizer, log α clamped, then λ moved toward the scheduled target. Returns the batch loss.
    /// </summary>
    public float Step(int step)
    {
        using var scope = NewDisposeScope();
        var batch = session.Data.NextTrainBatch();
        optimizer.zero_grad();
        gates.Sample();
        var loss = session.Trainer.Step(batch, penalty: () => lambda * gates.ExpectedCostChange(), afterBackward: () => optimizer.step());
        gates.Clamp(MinLogAlpha, MaxLogAlpha);
        if (target is { } t && step % ControllerInterval == 0)
            SteerLambda(ScheduledTarget(t, step));
        return loss;
    }

    /// <summary>
    /// λ follows the cost of the network the test-time gates would keep, so it stops pushing once
    /// enough gates are really closed (the expected cost alone lags and overshoots).
    /// </summary>
    private void SteerLambda(double goal)
    {
        using var noGrad = no_grad();
        var kept = gates.TestTimeCostChange();
        using var shift = (goal - 1).ToScalar();
        using var rate = (ControllerInterval * DualRate / Math.Max(goal, 0.05)).ToScalar();
        using var low = 1e-8.ToScalar();
        using var high = 1e8.ToScalar();
        lambda.mul_(kept.sub_(shift).mul_(rate).exp_()).clamp_(low, high);
    }

    /// <summary>
    /// The cost the controller aims at after <paramref name="step"/> steps: a straight line from the
    /// full network to the target. Aiming at the final target from the first step lets λ grow until
    /// gates collapse far below it, and the network never recovers what those steps took.
    /// </summary>
    private double ScheduledTarget(double finalTarget, int step) =>
        1 - (1 - finalTarget) * Math.Min(1, step / (TargetWarmupShare * steps));

    /// <summary>log α and the gate noise (the gate set's), the gates' optimizer and λ.</summary>
    public void Save(CheckpointData data)
    {
        gates.Save(data);
        new CheckpointedOptimizer(optimizer, "l0/optimizer").Save(data);
        data.Put("l0/lambda", lambda);
    }

    public void Restore(CheckpointData data)
    {
        gates.Restore(data);
        new CheckpointedOptimizer(optimizer, "l0/optimizer").Restore(data);
        data.CopyInto("l0/lambda", lambda);
    }

    public void Dispose()
    {
        optimizer.Dispose();
        lambda.Dispose();
    }
}
