namespace Shears.Worker.Engine;

/// <summary>
/// Runs one pruning job in memory: ONNX bytes + dataset in, shrunk ONNX + metrics out.
/// (Placeholder signature; the engine work fills it in.)
/// </summary>
public sealed class PruningEngine
{
    public PruneOutcome Run(PruneRequest request, IPruningProgress progress, CancellationToken cancellationToken)
        => throw new NotImplementedException("The pruning engine has not landed yet.");
}
