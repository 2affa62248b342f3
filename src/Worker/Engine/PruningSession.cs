using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine.Checkpoints;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Methods;
using Shears.Worker.Engine.Training;

namespace Shears.Worker.Engine;

/// <summary>Everything one pruning job works on: the trainable graph, its masks, data, optimizer, cost and progress.</summary>
public sealed class PruningSession : IDisposable
{
    /// <remarks><paramref name="module"/> must still be the original network: the objective records it as the teacher.</remarks>
    public PruningSession(OnnxGraph graph, IReadOnlyList<ChannelGroup> groups, GraphModule module, TrainingData data, PruningTarget target,
        PruningOptions options, IPruningProgress progress, CancellationToken cancellationToken)
    {
        Graph = graph;
        Groups = groups;
        Module = module;
        Data = data;
        Options = options;
        Gates = new ChannelGates(module, groups);
        Masks = new ChannelMasks(Gates);
        Objective = new Objective(module, data, options);
        Trainer = new Trainer(module, options, Objective);
        Cost = CostTracker.ForJob(graph, groups, target, options);
        Progress = new JobProgress(progress, Cost, cancellationToken);
        Checkpoints = new TrainingCheckpoints(this, store: null, fingerprint: "");
    }

    public OnnxGraph Graph { get; }

    public IReadOnlyList<ChannelGroup> Groups { get; }

    public GraphModule Module { get; }

    public TrainingData Data { get; }

    public PruningOptions Options { get; }

    public ChannelGates Gates { get; }

    public ChannelMasks Masks { get; }

    /// <summary>What every phase trains against: labels, the original network's outputs, or both.</summary>
    public Objective Objective { get; }

    public Trainer Trainer { get; }

    public CostTracker Cost { get; }

    public JobProgress Progress { get; }

    /// <summary>Where every training phase saves its state and finds an interrupted run's (until <see cref="KeepCheckpointsIn"/>: nowhere).</summary>
    public TrainingCheckpoints Checkpoints { get; private set; }

    /// <summary>Checkpoints go to <paramref name="store"/>, and an interrupted run's is taken from it if it carries <paramref name="fingerprint"/>.</summary>
    public void KeepCheckpointsIn(ITrainingCheckpoints? store, string fingerprint) => Checkpoints = new TrainingCheckpoints(this, store, fingerprint);

    /// <summary>Set by an unstructured (weight-granularity) method: the sparsity it reached.</summary>
    public WeightSparsity? Sparsity { get; set; }

    /// <summary>Optimizer steps taken so far in the job.</summary>
    public int StepsTaken { get; set; }

    /// <summary>
    /// Fine-tuning steps the options ask for: <c>steps</c> if set, else <c>epochs</c> passes over the training split;
    /// null when they give neither (fine-tuning then runs until the held-out accuracy stops improving).
    /// </summary>
    public int? FineTuningSteps => Options.Steps ?? (Options.Epochs is { } epochs ? (int)Math.Ceiling(epochs * Data.StepsPerEpoch) : null);

    /// <summary>The method's bound on fine-tuning without a given length (<see cref="EarlyStopping"/>).</summary>
    public int MostFineTuningSteps { get; set; } = EarlyStopping.MostMaxSteps;

    /// <summary>The most fine-tuning steps the job can take (for progress totals).</summary>
    public int FineTuningStepsAtMost => FineTuningSteps ?? EarlyStopping.MaxStepsFor(Data.StepsPerEpoch, MostFineTuningSteps);

    /// <summary>How long fine-tuning ran, once it has.</summary>
    public FineTuningRun? FineTuning { get; set; }

    /// <summary>Called after every removal (a levels or budget job takes its snapshots there); null: nothing.</summary>
    public Action? ChannelRemoved { get; set; }

    /// <summary>Removes one channel from the masks and the cost.</summary>
    public void Remove(int groupId, int channel)
    {
        Masks.Remove(groupId, channel);
        Cost.Removed(groupId);
        ChannelRemoved?.Invoke();
    }

    /// <summary>Puts one removed channel back into the masks and the cost.</summary>
    public void Restore(int groupId, int channel)
    {
        Masks.Restore(groupId, channel);
        Cost.Restored(groupId);
    }

    /// <summary>Sets every group's kept channels to <paramref name="kept"/>, putting back what it keeps and removing the rest.</summary>
    public void SetKept(IReadOnlyList<bool[]> kept)
    {
        foreach (var group in Groups)
            for (var channel = 0; channel < group.Channels; channel++)
                if (kept[group.Id][channel] && !Masks.Kept[group.Id][channel])
                    Restore(group.Id, channel);
        foreach (var group in Groups)
            for (var channel = 0; channel < group.Channels; channel++)
                if (!kept[group.Id][channel] && Masks.Kept[group.Id][channel])
                {
                    Masks.Remove(group.Id, channel);
                    Cost.Removed(group.Id);
                }
    }

    public void Dispose()
    {
        Trainer.Dispose();
        Objective.Dispose();
        Masks.Dispose();
        Gates.Dispose();
    }
}
