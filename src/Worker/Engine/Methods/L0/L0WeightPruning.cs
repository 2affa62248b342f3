using Shears.Worker.Engine.Training;
namespace Shears.Worker.Engine.Methods.L0;

/// <summary>
/// L0 with one gate per weight (<see cref="WeightGates"/>): the same gate training and λ controller as
/// channel L0, toward a params target counted in nonzero weights; then closed weights become exact zeros,
/// fractional gates fold into their weights, and fine-tuning keeps the zeros. Nothing is cut out: the
/// network keeps its shapes, and its dense kernels run as fast (or slow) as before.
/// </summary>
public static class L0WeightPruning
{
    public const string DenseKernelNote =
        "Unstructured sparsity: zeroed weights keep their place in dense tensors, so ONNX Runtime's dense kernels do not run faster; " +
        "the gain is in compressed size or on sparse-aware runtimes.";

    public static void Run(PruningSession session, double? target, int gateSteps, int? fineTuningSteps)
    {
        if (session.Options.Lambda is null && target is null)
            throw new PruningFailedException("An l0 job needs a target (target.params for granularity \"weight\") or options.lambda.");
        if (session.Cost.HasFlopsTarget)
            throw new PruningFailedException("granularity \"weight\" zeroes single weights and saves no FLOPs in dense kernels; give a params target.");

        using var gates = new WeightGates(session, new HardConcrete(session.Options.GateTemperature));
        var reachable = 1 - gates.Count / gates.FullCost;
        if (target is { } t && reachable > t)
            throw new PruningFailedException($"Target unreachable: with every Conv/Gemm/MatMul weight zeroed the network still has {reachable:P1} of its parameters nonzero (target {t:P1}).");

        int? folded = null;
        if (!session.Checkpoints.ResumesIn(TrainingPhase.FineTuning))
        {
            L0Pruning.TrainGates(session, gates, target, gateSteps);
            folded = gates.Settle(target).Count(z => z is > 0f and < 1f);
        }
        FineTuning.Run(session, fineTuningSteps, gates);
        gates.Bake();

        var zeros = gates.ZeroWeights();
        session.Sparsity = new WeightSparsity(gates.Count, zeros, 1 - zeros / gates.FullCost, DenseKernelNote);
        session.Progress.Log($"l0 (weights): {zeros} of {gates.Count} gated weights are exactly zero ({session.Sparsity.Sparsity:P1} sparsity; " +
            $"{session.Sparsity.NonzeroParamsFraction:P1} of all parameters nonzero); {(folded is { } f ? $"{f} fractional gates folded into their weights" : "fractional gates were folded before the run was resumed")}. {DenseKernelNote}");
    }
}
