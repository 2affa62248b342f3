namespace Shears.Worker.Engine.Checkpoints;

/// <summary>State of a training phase that a checkpoint must carry for the phase to go on exactly where it stopped.</summary>
public interface ICheckpointed
{
    void Save(CheckpointData data);

    /// <exception cref="InvalidDataException">The checkpoint does not hold this state.</exception>
    void Restore(CheckpointData data);
}
