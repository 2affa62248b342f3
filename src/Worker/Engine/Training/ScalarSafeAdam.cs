using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Training;

/// <summary>
/// TorchSharp's Adam with the same arithmetic in the same order, but every coefficient passed to libtorch as a Scalar
/// that stays alive until the call returns. TorchSharp's own step turns its numbers into temporary Scalars that a garbage
/// collection can free mid-call (see <see cref="LiveScalars"/>). Its state is TorchSharp's, so checkpoints read it as before.
/// </summary>
public sealed class ScalarSafeAdam(IEnumerable<Parameter> parameters, double learningRate) : Adam(parameters, learningRate)
{
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        if ((options.weight_decay ?? 0) != 0 || options.amsgrad == true || options.maximize == true)
            throw new NotSupportedException("Weight decay, AMSGrad and maximize are not used by Shears.");
        var (beta1, beta2, lr) = (options.beta1!.Value, options.beta2!.Value, options.LearningRate!.Value);
        using var keep1 = beta1.ToScalar();
        using var take1 = (1 - beta1).ToScalar();
        using var keep2 = beta2.ToScalar();
        using var take2 = (1 - beta2).ToScalar();
        using var eps = options.eps!.Value.ToScalar();
        foreach (var parameter in group.Parameters)
        {
            var state = (State)_state[parameter.Handle];
            var grad = parameter.grad;
            if (grad is null)
                continue;
            state.step += 1;
            var biasCorrection1 = 1 - Math.Pow(beta1, state.step);
            var biasCorrection2 = 1 - Math.Pow(beta2, state.step);
            state.exp_avg.mul_(keep1).add_(grad, alpha: take1);
            state.exp_avg_sq.mul_(keep2).addcmul_(grad, grad.conj(), value: take2);
            using var rootCorrection = Math.Sqrt(biasCorrection2).ToScalar();
            using var stepSize = (-(lr / biasCorrection1)).ToScalar();
            var denominator = state.exp_avg_sq.sqrt().div_(rootCorrection).add_(eps, LiveScalars.One);
            parameter.addcdiv_(state.exp_avg, denominator, value: stepSize);
        }
    }, closure);
}
