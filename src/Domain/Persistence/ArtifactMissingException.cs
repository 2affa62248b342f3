namespace Shears.Domain.Persistence;

/// <summary>
/// A file a row names is not in this process's artifacts folder: most often a worker and the Api that do not share one
/// folder (each started with its own default). Retrying does not bring the file, so it names the path to look for.
/// </summary>
public sealed class ArtifactMissingException(string path, Exception inner)
    : FileNotFoundException($"The artifacts folder has no file {path}.", path, inner);
