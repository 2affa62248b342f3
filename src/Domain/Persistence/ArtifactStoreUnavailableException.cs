namespace Shears.Domain.Persistence;

/// <summary>
/// The artifact store could not be reached or failed, and its retries are spent. An <see cref="IOException"/>, so that a
/// job meeting it is retried as an infrastructure failure, as with a shared folder that is away.
/// </summary>
public sealed class ArtifactStoreUnavailableException(string message, Exception inner) : IOException(message, inner);
