using System.Collections.Concurrent;
using Shears.Worker.Engine;

namespace Shears.Worker.Tests;

/// <summary>Keeps every progress event and log line a job sends, and can cancel it at a chosen step.</summary>
internal sealed class RecordingProgress(CancellationTokenSource? cancelAtStep = null, int step = int.MaxValue) : IPruningProgress
{
    public ConcurrentQueue<ProgressUpdate> Updates { get; } = new();
    public ConcurrentQueue<string> Logs { get; } = new();

    public void Progress(ProgressUpdate update)
    {
        Updates.Enqueue(update);
        if (update.Step >= step)
            cancelAtStep?.Cancel();
    }

    public void Log(string message) => Logs.Enqueue(message);
}
