using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Training;

/// <summary>
/// TorchSharp's SGD with momentum, with the same arithmetic, but every coefficient passed to libtorch as a Scalar that
/// stays alive until the call returns (see <see cref="ScalarSafeAdam"/>). Its state is TorchSharp's.
/// </summary>
public sealed class ScalarSafeSgd(IEnumerable<Parameter> parameters, double learningRate, double momentum) : SGD(parameters, learningRate, momentum)
{
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = group.Options;
        if ((options.weight_decay ?? 0) != 0 || (options.dampening ?? 0) != 0 || options.nesterov == true || options.maximize == true)
            throw new NotSupportedException("Weight decay, dampening, Nesterov and maximize are not used by Shears.");
        using var keep = options.momentum!.Value.ToScalar();
        using var descent = (-options.LearningRate!.Value).ToScalar();
        foreach (var parameter in group.Parameters)
        {
            var state = (State)_state[parameter.Handle];
            var grad = parameter.grad;
            if (grad is null)
                continue;
            if (options.momentum == 0)
            {
                parameter.add_(grad, alpha: descent);
                continue;
            }
            if (state.momentum_buffer is null)
                state.momentum_buffer = grad.clone().detach().DetachFromDisposeScope();
            else
                state.momentum_buffer.mul_(keep).add_(grad, alpha: LiveScalars.One);
            parameter.add_(state.momentum_buffer, alpha: descent);
        }
    }, closure);
}
