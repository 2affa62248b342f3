using Shears.Domain.Jobs;
using Shears.Worker.Data;
using Shears.Worker.Engine.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Training;

/// <summary>Optimizer, the job's <see cref="Objective"/> and one training step of a <see cref="GraphModule"/>.</summary>
public sealed class Trainer : IDisposable
{
    private readonly GraphModule module;
    private readonly optim.Optimizer optimizer;
    private readonly Objective objective;
    private static readonly Scalar SmallestProbability = 1e-12.ToScalar();

    public Trainer(GraphModule module, PruningOptions options, Objective objective)
    {
        this.objective = objective;
        this.module = module;
        var parameters = module.Parameters.Values.ToList();
        optimizer = options.Optimizer == "sgd"
            ? new ScalarSafeSgd(parameters, options.LearningRate, momentum: 0.9)
            : new ScalarSafeAdam(parameters, options.LearningRate);
    }

    /// <summary>
    /// Mean cross-entropy on integer labels. A graph that already ends in Softmax or LogSoftmax gives
    /// probabilities or log-probabilities, so the loss takes their log (or uses them) instead of applying softmax twice.
    /// </summary>
    public static Func<Tensor, Tensor, Tensor> LossFor(string outputOp) => outputOp switch
    {
        "LogSoftmax" => (output, labels) => nn.functional.nll_loss(output, labels),
        "Softmax" => (output, labels) => nn.functional.nll_loss(output.clamp_min(SmallestProbability).log(), labels),
        _ => (output, labels) => nn.functional.cross_entropy(output, labels),
    };

    public Objective Objective => objective;

    /// <summary>Sets the step size of every parameter group from now on.</summary>
    public void SetLearningRate(double learningRate)
    {
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = learningRate;
    }

    /// <summary>The optimizer, whose state a checkpoint saves and restores.</summary>
    public optim.Optimizer Optimizer => optimizer;

    /// <summary>
    /// Forward, backward, optional work on the gradients (<paramref name="afterBackward"/>, e.g. the
    /// Fisher signal), optimizer step. Returns the batch's mean loss (without <paramref name="penalty"/>,
    /// a regulariser added to the loss before backward, e.g. the L0 penalty). Call inside a dispose scope.
    /// </summary>
    public float Step(Batch batch, Action? afterBackward = null, Func<Tensor>? penalty = null)
    {
        module.train();
        optimizer.zero_grad();
        var value = objective.Loss(module.Run(batch.Inputs), batch);
        (penalty is null ? value : value.add(penalty(), LiveScalars.One)).backward();
        afterBackward?.Invoke();
        optimizer.step();
        var result = value.item<float>();
        if (!float.IsFinite(result))
            throw new PruningFailedException($"The training loss became {result}; lower the learning rate.");
        return result;
    }

    public void Dispose() => optimizer.Dispose();
}
