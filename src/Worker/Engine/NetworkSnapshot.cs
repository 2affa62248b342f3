using Shears.Worker.Engine.Checkpoints;
namespace Shears.Worker.Engine;

/// <summary>
/// The network at one moment of a job: which channels are kept, the trained tensors, the optimizer's state and the global
/// generator. A levels or budget job takes one wherever the trajectory passes a size it wants, and later goes back to it
/// to fine-tune that size on its own. It is kept inside the job's checkpoints, so an interrupted job has it too.
/// </summary>
public sealed class NetworkSnapshot
{
    private readonly CheckpointData state;

    private NetworkSnapshot(CheckpointData state) => this.state = state;

    public static NetworkSnapshot Capture(PruningSession session)
    {
        var state = new CheckpointData();
        foreach (var part in TrainingCheckpoint.NetworkState(session))
            part.Save(state);
        foreach (var group in session.Groups)
            state.PutBytes($"kept/{group.Id}", [.. session.Masks.Kept[group.Id].Select(k => (byte)(k ? 1 : 0))]);
        return new NetworkSnapshot(state);
    }

    /// <summary>Puts the session back where the snapshot was taken: kept channels, weights, optimizer, generator.</summary>
    public void RestoreInto(PruningSession session)
    {
        session.SetKept([.. session.Groups.Select(g => state.Bytes($"kept/{g.Id}").Select(b => b != 0).ToArray())]);
        foreach (var part in TrainingCheckpoint.NetworkState(session))
            part.Restore(state);
    }

    public void SaveInto(CheckpointData data, string prefix) => data.PutAll(prefix, state);

    /// <exception cref="InvalidDataException">The checkpoint has no snapshot under <paramref name="prefix"/>.</exception>
    public static NetworkSnapshot Load(CheckpointData data, string prefix)
    {
        var part = data.Part(prefix);
        return part.Tensors.Count > 0 ? new NetworkSnapshot(part) : throw new InvalidDataException($"The checkpoint has no snapshot '{prefix}'.");
    }
}
