using Shears.Worker.Engine;

namespace Shears.Bench;

/// <summary>Progress sink for benchmark jobs: prints log lines and removal summaries sparsely.</summary>
internal sealed class SilentProgress(bool verbose = false) : IPruningProgress
{
    public void Progress(ProgressUpdate update)
    {
        if (verbose && update.Accuracy is not null)
            Console.WriteLine($"    step {update.Step}: FLOPs {update.FlopsFraction:P1}, accuracy {update.Accuracy:P2} — {update.Message}");
    }

    public void Log(string message)
    {
        if (verbose)
            Console.WriteLine($"    {message}");
    }
}
