namespace Shears.Worker.Engine.Checkpoints;

/// <summary>Keeps a job's latest training checkpoint (safetensors bytes) somewhere that outlives the worker process.</summary>
public interface ITrainingCheckpoints
{
    /// <summary>The checkpoint an earlier, interrupted run of this job left; null when there is none.</summary>
    byte[]? Latest { get; }

    /// <summary>Replaces the job's checkpoint with <paramref name="checkpoint"/>, written after step <paramref name="afterStep"/> of its phase.</summary>
    void Save(byte[] checkpoint, int afterStep);
}
