using System.Text.RegularExpressions;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Checkpoints;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Training;
using static TorchSharp.torch;

namespace Shears.Worker.Tests;

/// <summary>
/// A job stopped in the middle of a phase (the worker's cancel path) and run again in a fresh engine resumes from its
/// checkpoint: it does not train the steps before it again, and it ends exactly where an uninterrupted run ends.
/// </summary>
public partial class CheckpointResumeTests
{
    private static readonly float[] OneValue = [1f];

    private static readonly EngineSettings Settings = new(Threads: 1, LatencyRepeats: 1, LatencyRounds: 1);

    public static TheoryData<string, PruningMethod, PruningOptions, int, int, string> Stops => new()
    {
        // Rounds of 6 steps with a save every 4: stopped after the second save, in the middle of round 2 (Δ half accumulated).
        { "tiny_mlp", PruningMethod.Fisher, new PruningOptions { Steps = 20, StepsPerPrune = 6, CheckpointEverySteps = 4 }, 2, int.MaxValue, "fisher-rounds step 8" },
        // Rounds of 3 steps, saves wait for a decision: stopped after the first save (round 2's decision, step 6).
        { "tiny_mlp", PruningMethod.Fisher, new PruningOptions { Steps = 20, StepsPerPrune = 3, CheckpointEverySteps = 5 }, 1, int.MaxValue, "fisher-rounds step 6" },
        // Gate training of 48 steps, saves every 10; cancelled by the progress event of step 26, so the stop itself saves
        // step 26, in the middle of a block of gate noise.
        { "tiny_mlp", PruningMethod.L0, new PruningOptions { Steps = 60, CheckpointEverySteps = 10 }, int.MaxValue, 25, "l0-gates step 26" },
        // L0 with a gate per weight (a params target): 48 gate steps with a save every 5 (9 saves), then fine-tuning with the
        // settled 0/1 weight mask, stopped after its first save; the resumed run takes the mask from the checkpoint.
        { "tiny_mlp", PruningMethod.L0, new PruningOptions { Steps = 60, CheckpointEverySteps = 5, Granularity = "weight" }, 10, int.MaxValue, "fine-tuning step 5" },
        // Magnitude decides at once and fine-tunes: stopped after the first fine-tuning save.
        { "tiny_mlp", PruningMethod.Magnitude, new PruningOptions { Steps = 30, CheckpointEverySteps = 10, Scope = "layer" }, 1, int.MaxValue, "fine-tuning step 10" },
    };

    [Theory]
    [Trait("Category", "Slow")]
    [MemberData(nameof(Stops))]
    public void A_job_stopped_mid_phase_resumes_from_its_checkpoint_and_ends_as_an_uninterrupted_run(string network, PruningMethod method, PruningOptions phaseOptions,
        int cancelAfterSaves, int cancelAtReportedStep, string resumedAt)
    {
        var options = phaseOptions with { BatchSize = 50, ValidationFraction = 0.2, Seed = 3 };
        PruneRequest Request(ITrainingCheckpoints? checkpoints) =>
            new(Fixtures.Network(network), Fixtures.Train2k(1000), method,
                options.Granularity == "weight" ? new PruningTarget(null, 0.5) : new PruningTarget(0.5, null), options, checkpoints);

        var uninterrupted = new PruningEngine(Settings).Run(Request(null), new RecordingProgress(), CancellationToken.None);

        using var stop = new CancellationTokenSource();
        var store = new MemoryCheckpoints(stop, cancelAfterSaves);
        var stopped = new RecordingProgress(stop, cancelAtReportedStep);
        Assert.ThrowsAny<OperationCanceledException>(() => new PruningEngine(Settings).Run(Request(store), stopped, stop.Token));
        Assert.NotNull(store.Latest);

        var progress = new RecordingProgress();
        var resumed = new PruningEngine(Settings).Run(Request(store.Reopened()), progress, CancellationToken.None);

        var resumedLog = Assert.Single(progress.Logs, l => l.StartsWith("Resumed from the checkpoint", StringComparison.Ordinal));
        Assert.StartsWith($"Resumed from the checkpoint saved after {resumedAt} ", resumedLog, StringComparison.Ordinal);
        // Nothing before the checkpoint was trained again: past the original's measurement (step 0), the resumed run
        // reports only steps after it (in job steps, which count the pruning phase's before fine-tuning's).
        var jobStep = int.Parse(JobStep().Match(resumedLog).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var phaseStep = int.Parse(resumedAt.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.All(progress.Updates.Where(u => u.Step > 0), u => Assert.True(u.Step > Math.Max(jobStep, phaseStep), $"step {u.Step} reported again"));

        Assert.Equal(uninterrupted.After with { LatencyMs = 0 }, resumed.After with { LatencyMs = 0 });
        Assert.Equal(uninterrupted.Layers, resumed.Layers);
        Assert.Equal(uninterrupted.WeightsSafetensors, resumed.WeightsSafetensors);
        Assert.Equal(uninterrupted.Trajectory, resumed.Trajectory);
    }

    [Fact]
    public void A_checkpoint_of_another_job_is_ignored_with_a_log_line()
    {
        var options = new PruningOptions { Steps = 10, BatchSize = 50, ValidationFraction = 0.2, CheckpointEverySteps = 5, Scope = "layer" };
        PruneRequest Request(PruningTarget target, ITrainingCheckpoints checkpoints) =>
            new(Fixtures.Network("tiny_mlp"), Fixtures.Train2k(500), PruningMethod.Magnitude, target, options, checkpoints);
        var other = new MemoryCheckpoints(stop: null, int.MaxValue);
        new PruningEngine(Settings).Run(Request(new PruningTarget(0.7, null), other), new RecordingProgress(), CancellationToken.None);
        Assert.NotNull(other.Latest);

        foreach (var checkpoint in new[] { other.Latest!, [1, 2, 3], SafetensorsWriter.Write([("x", [1L], OneValue)], new Dictionary<string, string> { ["format"] = "shears/fine-tuning/1" }) })
        {
            var progress = new RecordingProgress();
            var outcome = new PruningEngine(Settings).Run(Request(new PruningTarget(0.5, null), new MemoryCheckpoints(null, int.MaxValue, checkpoint)), progress, CancellationToken.None);
            Assert.Contains(progress.Logs, l => l.StartsWith("The saved checkpoint is not used: ", StringComparison.Ordinal));
            Assert.DoesNotContain(progress.Logs, l => l.StartsWith("Resumed", StringComparison.Ordinal));
            Assert.True(outcome.After.Flops <= 0.5 * outcome.Before.Flops);
        }
    }

    [Fact]
    public void A_checkpoint_carries_batch_norm_statistics_optimizer_state_and_data_position_exactly()
    {
        var options = new PruningOptions { BatchSize = 50, ValidationFraction = 0.2, CheckpointEverySteps = 5 };
        var graph = OnnxGraph.Parse(Fixtures.Network("tiny_cnn"));
        var groups = ChannelGroupAnalysis.Find(graph).Groups;
        using var trained = new SessionOf(graph, groups, options);
        for (var step = 0; step < 5; step++)
        {
            using var scope = NewDisposeScope();
            trained.Session.Trainer.Step(trained.Session.Data.NextTrainBatch());
        }
        trained.Session.Remove(groups[0].Id, 1);
        var bytes = TrainingCheckpoint.Capture(trained.Session, "job", TrainingPhase.FineTuning, 5, state: null);

        using var fresh = new SessionOf(graph, groups, options);
        var saved = TrainingCheckpoint.Read(bytes, "job");
        TrainingCheckpoint.Check(fresh.Session, saved);
        TrainingCheckpoint.Restore(fresh.Session, saved, state: null);

        Assert.Contains(trained.Session.Module.TrainedState, t => t.Name.EndsWith("running_var", StringComparison.Ordinal));
        foreach (var ((name, expected), (_, actual)) in trained.Session.Module.TrainedState.Zip(fresh.Session.Module.TrainedState))
            Assert.True(expected.eq(actual).all().item<bool>(), $"{name} differs after the restore");
        Assert.Equal(trained.Session.Masks.RemovedChannels().Select(r => r.ToArray()), fresh.Session.Masks.RemovedChannels().Select(r => r.ToArray()));
        Assert.Equal(trained.Session.Data.BatchesDrawn, fresh.Session.Data.BatchesDrawn);
        Assert.Equal((trained.Session.Cost.Current.Params, trained.Session.Cost.Current.Flops), (fresh.Session.Cost.Current.Params, fresh.Session.Cost.Current.Flops));
        var (before, after) = (new CheckpointData(), new CheckpointData());
        new CheckpointedOptimizer(trained.Session.Trainer.Optimizer, "adam").Save(before);
        new CheckpointedOptimizer(fresh.Session.Trainer.Optimizer, "adam").Save(after);
        Assert.NotEmpty(before.Tensors);
        Assert.Equal(before.Counters, after.Counters);
        Assert.Equal(before.Tensors.Keys.Order(), after.Tensors.Keys.Order());
        Assert.All(before.Tensors, t => Assert.Equal(t.Value.Data, after.Tensors[t.Key].Data));
        Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Read(bytes, "another job"));
    }

    private sealed class SessionOf : IDisposable
    {
        private readonly GraphModule module;
        private readonly TrainingData data;

        public SessionOf(OnnxGraph graph, IReadOnlyList<ChannelGroup> groups, PruningOptions options)
        {
            module = new GraphModule(graph, CPU);
            data = new TrainingData(Fixtures.Train2k(500), graph.Inputs, options, CPU);
            Session = new PruningSession(graph, groups, module, data, new PruningTarget(0.5, null), options, new RecordingProgress(), CancellationToken.None);
        }

        public PruningSession Session { get; }

        public void Dispose()
        {
            Session.Dispose();
            data.Dispose();
            module.Dispose();
        }
    }

    [GeneratedRegex(@"\(job step (\d+),")]
    private static partial Regex JobStep();
}
