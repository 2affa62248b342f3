using System.Text.Json;
using System.Text.Json.Serialization;
using Shears.Worker.Engine.Training;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Checkpoints;

/// <summary>
/// A job's training state at one step of one phase (<see cref="TrainingPhase"/>) as a safetensors file, never a pickle.
/// Tensors: every parameter and BatchNormalization statistic (<c>module/…</c>), the weight optimizer's state
/// (<c>optimizer/…</c>), the global torch generator (<c>rng/global</c>) and the phase's own state (Fisher's Δ
/// accumulators, L0's log α, gate optimizer, λ and noise generator). Header metadata (JSON): the phase, its step, the
/// job's step, the training batches drawn, the channels removed so far, counters, the trajectory for the report, and
/// the fingerprint of the job it belongs to (network, method, target, options).
/// </summary>
public static class TrainingCheckpoint
{
    public const string Format = "shears/training/2";

    /// <summary>Numbers round-trip exactly (the shortest form that reads back the same double); NaN is written as a name.</summary>
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private sealed record Header(string Fingerprint, string Phase, int Step, int JobStep, long BatchesDrawn, int[][] Removed,
        Dictionary<string, long> Counters, Dictionary<string, double> Numbers, List<TrajectoryPoint> Trajectory);

    /// <summary>A checkpoint read back and found to belong to the job.</summary>
    public sealed class Saved
    {
        internal Saved(TrainingPhase phase, int step, int jobStep, long batchesDrawn, int[][] removed, IReadOnlyList<TrajectoryPoint> trajectory, CheckpointData data)
        {
            (Phase, Step, JobStep, BatchesDrawn, Removed, Trajectory, Data) = (phase, step, jobStep, batchesDrawn, removed, trajectory, data);
        }

        public TrainingPhase Phase { get; }

        /// <summary>Steps of <see cref="Phase"/> done.</summary>
        public int Step { get; }

        /// <summary>Optimizer steps of the job counted before the phase's current round or the phase itself (<see cref="PruningSession.StepsTaken"/>).</summary>
        public int JobStep { get; }

        public long BatchesDrawn { get; }

        public int[][] Removed { get; }

        public IReadOnlyList<TrajectoryPoint> Trajectory { get; }

        public CheckpointData Data { get; }
    }

    public static byte[] Capture(PruningSession session, string fingerprint, TrainingPhase phase, int step, ICheckpointed? state)
    {
        var data = new CheckpointData();
        foreach (var part in SessionState(session))
            part.Save(data);
        state?.Save(data);
        var header = new Header(fingerprint, phase.Name(), step, session.StepsTaken, session.Data.BatchesDrawn,
            [.. session.Masks.RemovedChannels().Select(r => r.Order().ToArray())], data.Counters, data.Numbers, [.. session.Progress.Trajectory]);
        return SafetensorsWriter.Write(data.Tensors.Select(t => (t.Key, t.Value)),
            new Dictionary<string, string> { ["format"] = Format, ["state"] = JsonSerializer.Serialize(header, Json) });
    }

    /// <exception cref="InvalidDataException">The bytes are not a checkpoint of this format, or of another job.</exception>
    public static Saved Read(byte[] bytes, string fingerprint)
    {
        SafetensorsReader.Contents contents;
        Header? header;
        try
        {
            contents = SafetensorsReader.Read(bytes);
            var format = contents.Metadata.GetValueOrDefault("format");
            if (format != Format)
                throw new InvalidDataException($"it is of the format '{format ?? "none"}', not {Format}");
            header = JsonSerializer.Deserialize<Header>(contents.Metadata.GetValueOrDefault("state") ?? "null", Json);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"it does not read ({e.Message})");
        }
        if (header is null || header.Fingerprint != fingerprint)
            throw new InvalidDataException("it was written for another network, method, target or options");
        var phase = Enum.GetValues<TrainingPhase>().FirstOrDefault(p => p.Name() == header.Phase, (TrainingPhase)(-1));
        if (!Enum.IsDefined(phase))
            throw new InvalidDataException($"it names the phase '{header.Phase}'");
        return new Saved(phase, header.Step, header.JobStep, header.BatchesDrawn, header.Removed, header.Trajectory,
            new CheckpointData(contents.Tensors, header.Counters, header.Numbers));
    }

    /// <summary>Refuses a checkpoint whose tensors, channels or data position do not fit this session (before it trains).</summary>
    /// <exception cref="InvalidDataException">It does not fit.</exception>
    public static void Check(PruningSession session, Saved saved)
    {
        foreach (var (name, value) in session.Module.TrainedState)
        {
            if (!saved.Data.Tensors.TryGetValue($"module/{name}", out var tensor) || !tensor.Shape.SequenceEqual(value.shape))
                throw new InvalidDataException($"its tensor for '{name}' is missing or of another shape");
        }
        if (saved.Removed.Length != session.Groups.Count || saved.Removed.Select((r, g) => r.Any(k => k < 0 || k >= session.Groups[g].Channels)).Any(bad => bad)
            || session.Data.BatchesDrawn > saved.BatchesDrawn)
            throw new InvalidDataException("its removed channels or data position do not fit this run");
    }

    /// <summary>
    /// Puts the session (and <paramref name="state"/>) back where <paramref name="saved"/> was taken, after <see cref="Check"/>;
    /// the session must not have trained since it started. The phase's own state is the same code's for the same fingerprint.
    /// </summary>
    public static void Restore(PruningSession session, Saved saved, ICheckpointed? state)
    {
        foreach (var part in SessionState(session))
            part.Restore(saved.Data);
        state?.Restore(saved.Data);
        for (var group = 0; group < saved.Removed.Length; group++)
            foreach (var channel in saved.Removed[group])
                if (session.Masks.Kept[group][channel])
                    session.Remove(group, channel);
        session.Data.SkipBatches(saved.BatchesDrawn - session.Data.BatchesDrawn);
        session.StepsTaken = saved.JobStep;
        session.Progress.RestoreTrajectory(saved.Trajectory);
    }

    /// <summary>
    /// What every phase's checkpoint holds: the network's state (<see cref="NetworkState"/>) and what is attached to the
    /// session's checkpoints (<see cref="TrainingCheckpoints.Attach"/>: a levels or budget job's snapshots and results).
    /// </summary>
    private static IEnumerable<ICheckpointed> SessionState(PruningSession session) => [.. NetworkState(session), .. session.Checkpoints.Attached];

    /// <summary>The network's trained tensors, the weight optimizer and the global generator.</summary>
    public static IEnumerable<ICheckpointed> NetworkState(PruningSession session) =>
        [new ModuleState(session), new CheckpointedOptimizer(session.Trainer.Optimizer, "optimizer"), new GlobalGenerator()];

    private sealed class ModuleState(PruningSession session) : ICheckpointed
    {
        public void Save(CheckpointData data)
        {
            foreach (var (name, value) in session.Module.TrainedState)
                data.Put($"module/{name}", value);
        }

        public void Restore(CheckpointData data)
        {
            foreach (var (name, value) in session.Module.TrainedState)
                data.CopyInto($"module/{name}", value);
        }
    }

    /// <summary>Nothing in the engine draws from torch's global generator on purpose (data and gate noise have seeded ones), but an exported Dropout does.</summary>
    private sealed class GlobalGenerator : ICheckpointed
    {
        public void Save(CheckpointData data)
        {
            using var state = random.get_rng_state();
            data.Put("rng/global", state);
        }

        public void Restore(CheckpointData data)
        {
            using var scope = NewDisposeScope();
            random.set_rng_state(data.Load("rng/global"));
        }
    }
}
