using Shears.Domain.Persistence;

namespace Shears.Api.Uploads;

/// <summary>
/// The files of one upload request, sitting in the artifact store. Disposing it ends the holds on them and,
/// unless <see cref="Keep"/> was called after the rows naming them were committed, deletes the ones no row names:
/// a refused or failed upload leaves nothing behind, whatever went wrong.
/// </summary>
public sealed class StoredUpload(IReadOnlyDictionary<string, UploadedFile> files, Func<IEnumerable<StoredBlob>, Task> discard) : IAsyncDisposable
{
    private bool _kept;

    public UploadedFile this[string part] => files[part];

    /// <summary>An optional part, or null when the request did not send it.</summary>
    public UploadedFile? Optional(string part) => files.GetValueOrDefault(part);

    /// <summary>Call once the rows that name these files are committed.</summary>
    public void Keep() => _kept = true;

    public async ValueTask DisposeAsync()
    {
        foreach (var file in files.Values)
        {
            await file.Held.DisposeAsync();
        }
        if (!_kept)
        {
            await discard(files.Values.Select(f => f.Blob));
        }
    }
}
