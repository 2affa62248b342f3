namespace Shears.Domain.Persistence;

/// <summary>
/// A file a row names is not in this process's artifact store: most often a worker and the Api that do not share one
/// store (each started with its own default folder, or another bucket). Retrying does not bring the file, so the message
/// names where it was looked for, and <see cref="Remedy"/> what to set.
/// </summary>
public sealed class ArtifactMissingException : FileNotFoundException
{
    /// <summary>A file missing from the artifacts folder.</summary>
    public ArtifactMissingException(string path, Exception inner)
        : this($"The artifacts folder has no file {path}.", path,
            "The Api and every worker must share one artifacts folder: give them all the same Artifacts__Path.", inner)
    {
    }

    public ArtifactMissingException(string message, string location, string remedy, Exception inner)
        : base(message, location, inner)
    {
        Remedy = remedy;
    }

    public string Remedy { get; }
}
