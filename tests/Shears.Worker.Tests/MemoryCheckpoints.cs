using Shears.Worker.Engine;
using Shears.Worker.Engine.Checkpoints;

namespace Shears.Worker.Tests;

/// <summary>A job's checkpoint kept in memory; cancels the run after its <paramref name="cancelAfter"/>th save.</summary>
internal sealed class MemoryCheckpoints(CancellationTokenSource? stop, int cancelAfter, byte[]? latest = null) : ITrainingCheckpoints
{
    public byte[]? Latest { get; private set; } = latest;

    public int Saves { get; private set; }

    public void Save(byte[] checkpoint, int afterStep)
    {
        Latest = checkpoint;
        if (++Saves >= cancelAfter)
            stop?.Cancel();
    }

    /// <summary>The store as the next run of the job finds it.</summary>
    public MemoryCheckpoints Reopened() => new(stop: null, int.MaxValue, Latest);
}
