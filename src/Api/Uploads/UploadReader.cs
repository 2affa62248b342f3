using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Shears.Domain.Persistence;

namespace Shears.Api.Uploads;

/// <summary>
/// Streams request bodies into the artifact store without ever holding them whole: either the raw body
/// (<c>application/octet-stream</c>) or named parts of a <c>multipart/form-data</c> body.
/// </summary>
public static class UploadReader
{
    /// <summary>
    /// Reads the parts named <paramref name="partNames"/> (each up to <paramref name="maxBytesPerFile"/>); all are required
    /// but those in <paramref name="optionalParts"/>. A non-multipart body counts as the first part. Throws <see cref="ContentTooLargeException"/> or
    /// <see cref="BadUploadException"/>; files stored before a failure are returned to <paramref name="discard"/>, as
    /// are those of the returned upload unless it is kept.
    /// </summary>
    public static async Task<StoredUpload> ReadAsync(HttpRequest request, IArtifactStore store,
        long maxBytesPerFile, IReadOnlyList<string> partNames, Func<IEnumerable<StoredBlob>, Task> discard, CancellationToken cancellationToken,
        IReadOnlyList<string>? optionalParts = null)
    {
        var bodyLimit = maxBytesPerFile * partNames.Count + 64 * 1024; // room for multipart headers
        if (request.ContentLength > bodyLimit)
        {
            throw new ContentTooLargeException(maxBytesPerFile);
        }
        // The limit is enforced while streaming, per file; lift the server's blanket 30 MB cap.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = bodyLimit;
        }

        var files = new Dictionary<string, UploadedFile>();
        try
        {
            if (!IsMultipart(request.ContentType))
            {
                files[partNames[0]] = new UploadedFile(await store.SaveAsync(request.Body, maxBytesPerFile, cancellationToken), "upload");
            }
            else
            {
                await ReadPartsAsync(request, store, maxBytesPerFile, partNames, files, cancellationToken);
            }
            var missing = partNames.Where(name => !files.ContainsKey(name) && optionalParts?.Contains(name) != true).ToArray();
            if (missing.Length > 0)
            {
                throw new BadUploadException($"The body lacks the part(s) {string.Join(", ", missing.Select(m => $"'{m}'"))}. " +
                    $"Send multipart/form-data with the parts {string.Join(", ", partNames.Select(p => $"'{p}'"))}.");
            }
        }
        catch
        {
            await new StoredUpload(files, discard).DisposeAsync();
            throw;
        }
        return new StoredUpload(files, discard);
    }

    private static async Task ReadPartsAsync(HttpRequest request, IArtifactStore store, long maxBytesPerFile,
        IReadOnlyList<string> partNames, Dictionary<string, UploadedFile> files, CancellationToken cancellationToken)
    {
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(request.ContentType).Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
        {
            throw new BadUploadException("The multipart body has no boundary.");
        }
        var reader = new MultipartReader(boundary, request.Body);
        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
            {
                continue;
            }
            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
            if (name is null || !partNames.Contains(name) || files.ContainsKey(name))
            {
                continue; // parts we do not know are skipped unread
            }
            var held = await store.SaveAsync(section.Body, maxBytesPerFile, cancellationToken);
            var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
            files[name] = new UploadedFile(held, BareName(fileName) ?? name);
        }
    }

    private static bool IsMultipart(string? contentType)
        => contentType is not null && contentType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase);

    /// <summary>The last path segment, limited to a sane length; only used as a label and as a format hint.</summary>
    private static string? BareName(string? fileName)
    {
        var bare = Path.GetFileName((fileName ?? "").Replace('\\', '/'));
        return string.IsNullOrWhiteSpace(bare) ? null : bare[..Math.Min(bare.Length, 200)];
    }
}
