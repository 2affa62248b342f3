using Shears.Worker.Engine.Training;
namespace Shears.Worker.Engine.Checkpoints;

/// <summary>
/// A session's checkpoints: the one an interrupted run of the job left (read once, at the start, and used by the
/// phase it was taken in) and the saving of new ones. Without a store, or with <c>checkpointEverySteps</c> 0, it
/// saves nothing and every phase starts at its first step.
/// </summary>
public sealed class TrainingCheckpoints
{
    private readonly PruningSession session;
    private readonly ITrainingCheckpoints? store;
    private readonly string fingerprint;
    private readonly List<ICheckpointed> attached = [];
    private TrainingCheckpoint.Saved? pending;

    public TrainingCheckpoints(PruningSession session, ITrainingCheckpoints? store, string fingerprint)
    {
        this.session = session;
        this.store = store;
        this.fingerprint = fingerprint;
        if (store?.Latest is not { } bytes)
            return;
        try
        {
            var saved = TrainingCheckpoint.Read(bytes, fingerprint);
            TrainingCheckpoint.Check(session, saved);
            pending = saved;
        }
        catch (InvalidDataException e)
        {
            session.Progress.Log($"The saved checkpoint is not used: {e.Message}. The job starts from its first step.");
        }
    }

    /// <summary>State saved and restored with every checkpoint, whatever the phase (see <see cref="Attach"/>).</summary>
    public IReadOnlyList<ICheckpointed> Attached => attached;

    /// <summary>
    /// From now on every checkpoint carries <paramref name="part"/>; when the interrupted run's checkpoint is there, the part
    /// is restored from it at once, so that a driver above the phases (levels, budgets) knows where it was before any phase runs.
    /// </summary>
    public void Attach(ICheckpointed part)
    {
        attached.Add(part);
        if (pending is { } saved)
            part.Restore(saved.Data);
    }

    /// <summary>Steps between saves within a phase; 0 when nothing is saved.</summary>
    public int Every => store is null ? 0 : Math.Max(0, session.Options.CheckpointEverySteps);

    /// <summary>
    /// True when the interrupted run's checkpoint was taken in <paramref name="phase"/>. A method asks this of fine-tuning:
    /// then its pruning decisions are in the checkpoint, and neither they nor the phase before them run again.
    /// </summary>
    public bool ResumesIn(TrainingPhase phase) => pending?.Phase == phase;

    /// <summary>
    /// At the start of <paramref name="phase"/>: when the interrupted run's checkpoint was taken in it, restores the
    /// session and <paramref name="state"/> from it and returns the steps of the phase already done; else 0.
    /// </summary>
    public int Resume(TrainingPhase phase, ICheckpointed? state)
    {
        if (pending is not { } saved || saved.Phase != phase)
            return 0;
        pending = null;
        TrainingCheckpoint.Restore(session, saved, state);
        session.Progress.Log($"Resumed from the checkpoint saved after {phase.Name()} step {saved.Step} (job step {saved.JobStep}, {saved.Removed.Sum(r => r.Length)} channels removed).");
        return saved.Step;
    }

    /// <summary>Saves the state after step <paramref name="step"/> of <paramref name="phase"/>.</summary>
    public void Save(TrainingPhase phase, int step, ICheckpointed? state)
    {
        if (store is null)
            return;
        store.Save(TrainingCheckpoint.Capture(session, fingerprint, phase, step, state), step);
    }
}
