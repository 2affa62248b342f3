using System.Reflection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Checkpoints;

/// <summary>
/// An optimizer's per-parameter state (Adam's moments and step counts, SGD's momentum buffers) in a checkpoint,
/// under <paramref name="prefix"/>: tensors as <c>{prefix}/{parameter}/{field}</c>, counters likewise.
/// </summary>
public sealed class CheckpointedOptimizer(optim.Optimizer optimizer, string prefix) : ICheckpointed
{
    public void Save(CheckpointData data)
    {
        var states = Helper.state_dict().State;
        for (var i = 0; i < states.Count; i++)
        {
            foreach (var field in Fields(states[i]))
            {
                switch (field.GetValue(states[i]))
                {
                    case Tensor value:
                        data.Put($"{prefix}/{i}/{field.Name}", value);
                        break;
                    case long counter:
                        data.Counters[$"{prefix}/{i}/{field.Name}"] = counter;
                        break;
                }
            }
        }
    }

    public void Restore(CheckpointData data)
    {
        var dictionary = Helper.state_dict();
        for (var i = 0; i < dictionary.State.Count; i++)
        {
            var state = dictionary.State[i];
            foreach (var field in Fields(state))
            {
                var name = $"{prefix}/{i}/{field.Name}";
                if (field.FieldType == typeof(long) && data.Counters.TryGetValue(name, out var counter))
                    field.SetValue(state, counter);
                else if (data.Has(name))
                {
                    if (field.GetValue(state) is Tensor current)
                        data.CopyInto(name, current);
                    else
                    {
                        using var scope = NewDisposeScope();
                        field.SetValue(state, data.Load(name).to(Helper.parameters().ElementAt(i).device).DetachFromDisposeScope());
                    }
                }
            }
        }
        Helper.load_state_dict(dictionary);
    }

    /// <summary>TorchSharp's optimizers (Adam, SGD, …) keep their per-parameter state behind <see cref="OptimizerHelper"/>.</summary>
    private OptimizerHelper Helper => optimizer as OptimizerHelper
        ?? throw new NotSupportedException($"{optimizer.GetType().Name} does not expose its state; it cannot be checkpointed.");

    private static IEnumerable<FieldInfo> Fields(OptimizerState state)
        => state.GetType().GetFields(BindingFlags.Public | BindingFlags.Instance).Where(f => f.FieldType == typeof(Tensor) || f.FieldType == typeof(long));
}
