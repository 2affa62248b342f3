using System.Reflection;
using System.Text.Json;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Shears.Worker.Engine;

/// <summary>
/// The fine-tuning state as a safetensors file (never a pickle): every parameter and every optimizer state tensor,
/// with the step, the optimizer's step counters, the data shuffle's position (batches drawn from the seeded
/// generator) and the pruned-so-far channels as JSON in the header's metadata. Saved every
/// <c>checkpointEverySteps</c> fine-tuning steps; a job picked up again after its worker died replays the
/// (deterministic, seeded) pruning decisions, checks that they removed the same channels, and continues from here.
/// </summary>
public static class FineTuningCheckpoint
{
    private const string Format = "shears/fine-tuning/1";

    private sealed record State(int Step, long BatchesDrawn, int[][] Removed, Dictionary<string, long>[] OptimizerCounters);

    /// <summary>After fine-tuning step <paramref name="step"/> of <paramref name="steps"/>: saves a checkpoint when one is due.</summary>
    public static void AfterStep(PruningSession session, int step, int steps)
    {
        var every = session.Options.CheckpointEverySteps;
        if (session.Checkpoints is null || every <= 0 || step % every != 0 || step == steps)
            return;
        session.Checkpoints.Save(Capture(session, step), step);
    }

    /// <summary>
    /// The run is being stopped after fine-tuning step <paramref name="step"/> (a worker shutting down, a cancel):
    /// saves what was trained since <paramref name="resumedAt"/> so that the next run loses nothing.
    /// </summary>
    public static void BeforeStopping(PruningSession session, int step, int resumedAt)
    {
        if (session.Checkpoints is not null && session.Options.CheckpointEverySteps > 0 && step > resumedAt)
            session.Checkpoints.Save(Capture(session, step), step);
    }

    /// <summary>Restores an interrupted run's state; returns the fine-tuning steps already done (0: start from the first).</summary>
    public static int Resume(PruningSession session)
    {
        if (session.Checkpoints?.Latest is not { } bytes)
            return 0;
        var contents = SafetensorsReader.Read(bytes);
        var state = contents.Metadata.GetValueOrDefault("format") == Format
            ? JsonSerializer.Deserialize<State>(contents.Metadata["state"])
            : null;
        if (state is null || !Removed(session).SequenceEqual(state.Removed, ArrayComparer.Instance))
        {
            session.Progress.Log("The saved checkpoint does not match this run's pruning decisions; fine-tuning starts from its first step.");
            return 0;
        }
        using (no_grad())
        {
            foreach (var (name, parameter) in session.Module.Parameters)
            {
                var (shape, values) = contents.Tensors[$"param/{name}"];
                parameter.copy_(tensor(values, shape));
            }
        }
        RestoreOptimizer(session.Trainer.Optimizer, contents, state.OptimizerCounters);
        session.Data.SkipBatches(state.BatchesDrawn - session.Data.BatchesDrawn);
        session.Progress.Log($"Resumed from the checkpoint saved after fine-tuning step {state.Step}.");
        return state.Step;
    }

    private static byte[] Capture(PruningSession session, int step)
    {
        var tensors = new List<(string, long[], float[])>();
        foreach (var (name, parameter) in session.Module.Parameters)
            tensors.Add(Values($"param/{name}", parameter));
        var states = Helper(session.Trainer.Optimizer).state_dict().State;
        var counters = new Dictionary<string, long>[states.Count];
        for (var i = 0; i < states.Count; i++)
        {
            counters[i] = [];
            foreach (var field in Fields(states[i]))
            {
                switch (field.GetValue(states[i]))
                {
                    case Tensor value:
                        tensors.Add(Values($"optimizer/{i}/{field.Name}", value));
                        break;
                    case long counter:
                        counters[i][field.Name] = counter;
                        break;
                }
            }
        }
        var state = new State(step, session.Data.BatchesDrawn, Removed(session), counters);
        return SafetensorsWriter.Write(tensors, new Dictionary<string, string> { ["format"] = Format, ["state"] = JsonSerializer.Serialize(state) });
    }

    private static void RestoreOptimizer(optim.Optimizer optimizer, SafetensorsReader.Contents contents, Dictionary<string, long>[] counters)
    {
        var dictionary = Helper(optimizer).state_dict();
        for (var i = 0; i < dictionary.State.Count; i++)
        {
            var state = dictionary.State[i];
            foreach (var field in Fields(state))
            {
                if (field.FieldType == typeof(long) && counters[i].TryGetValue(field.Name, out var counter))
                    field.SetValue(state, counter);
                else if (contents.Tensors.TryGetValue($"optimizer/{i}/{field.Name}", out var saved))
                {
                    using var value = tensor(saved.Values, saved.Shape);
                    if (field.GetValue(state) is Tensor current)
                    {
                        using (no_grad())
                            current.copy_(value);
                    }
                    else
                        field.SetValue(state, value.clone().DetachFromDisposeScope());
                }
            }
        }
        Helper(optimizer).load_state_dict(dictionary);
    }

    /// <summary>TorchSharp's optimizers (Adam, SGD, …) keep their per-parameter state behind <see cref="OptimizerHelper"/>.</summary>
    private static OptimizerHelper Helper(optim.Optimizer optimizer) => optimizer as OptimizerHelper
        ?? throw new NotSupportedException($"{optimizer.GetType().Name} does not expose its state; it cannot be checkpointed.");

    private static IEnumerable<FieldInfo> Fields(OptimizerState state)
        => state.GetType().GetFields(BindingFlags.Public | BindingFlags.Instance).Where(f => f.FieldType == typeof(Tensor) || f.FieldType == typeof(long));

    private static (string, long[], float[]) Values(string name, Tensor value)
    {
        using var scope = NewDisposeScope();
        return (name, value.shape, value.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray());
    }

    private static int[][] Removed(PruningSession session) => [.. session.Masks.RemovedChannels().Select(r => r.Order().ToArray())];

    private sealed class ArrayComparer : IEqualityComparer<int[]>
    {
        public static readonly ArrayComparer Instance = new();

        public bool Equals(int[]? x, int[]? y) => x is not null && y is not null && x.SequenceEqual(y);

        public int GetHashCode(int[] obj) => obj.Length;
    }
}
