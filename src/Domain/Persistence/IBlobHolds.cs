namespace Shears.Domain.Persistence;

/// <summary>
/// Holds on stored files, by content, that keep a file from being deleted between its upload and the commit of the
/// row that names it, in every process that shares the artifact folder: an upload holds its content (shared: many
/// may hold the same content); a deletion needs the content to itself, and new holds wait until it is done.
/// </summary>
public interface IBlobHolds
{
    /// <summary>Holds <paramref name="sha256"/> until the result is disposed; waits while a deletion of it runs.</summary>
    Task<IAsyncDisposable> HoldAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="deletion"/> with <paramref name="sha256"/> to itself, so that no hold begins meanwhile;
    /// returns false without running it when someone holds the content.
    /// </summary>
    Task<bool> TryAloneAsync(string sha256, Func<CancellationToken, Task> deletion, CancellationToken cancellationToken);
}
