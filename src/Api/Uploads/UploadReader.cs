using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Shears.Domain.Persistence;
using Shears.Worker.Telemetry;

namespace Shears.Api.Uploads;

/// <summary>
/// Streams request bodies into the artifact store without ever holding them whole: either the raw body
/// (<c>application/octet-stream</c>) or named parts of a <c>multipart/form-data</c> body.
/// </summary>
public static class UploadReader
{
    public const string Multipart = "multipart/form-data";
    public const string RawFile = "application/octet-stream";

    /// <summary>RFC 2046's longest boundary.</summary>
    private const int MaxBoundaryLength = 70;

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

        if (request.ContentLength == 0)
        {
            throw new BadUploadException($"The body is empty. Send {Expected(partNames)}.");
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
                throw new BadUploadException($"The body lacks the part(s) {string.Join(", ", missing.Select(m => $"'{m}'"))}. Send {Expected(partNames)}.");
            }
            if (files.FirstOrDefault(f => f.Value.Blob.SizeBytes == 0) is { Value: not null } empty)
            {
                throw new BadUploadException($"The file '{empty.Key}' is empty (0 bytes). Send {Expected(partNames)}.");
            }
        }
        catch (Exception cause)
        {
            await new StoredUpload(files, discard).DisposeAsync();
            if (request.HttpContext.RequestAborted.IsCancellationRequested || IsEndOfRequestContent(cause))
            {
                throw new ClientDroppedException(request.ContentLength ?? -1, cause);
            }
            throw;
        }
        foreach (var (part, file) in files)
        {
            ShearsTelemetry.UploadedBytes.Add(file.Blob.SizeBytes, new KeyValuePair<string, object?>("part", part));
        }
        return new StoredUpload(files, discard);
    }

    /// <summary>
    /// Reads the named parts. A body that breaks multipart's rules (no usable boundary, a part's headers beyond the
    /// reader's limits, a body that ends before its closing boundary) is a <see cref="BadUploadException"/> saying so.
    /// </summary>
    private static async Task ReadPartsAsync(HttpRequest request, IArtifactStore store, long maxBytesPerFile,
        IReadOnlyList<string> partNames, Dictionary<string, UploadedFile> files, CancellationToken cancellationToken)
    {
        var reader = new MultipartReader(BoundaryOf(request.ContentType!), request.Body);
        while (await NextSectionAsync(reader, cancellationToken) is { } section)
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
            var held = await Malformed.Guard(() => store.SaveAsync(section.Body, maxBytesPerFile, cancellationToken));
            var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
            files[name] = new UploadedFile(held, BareName(fileName) ?? name);
        }
    }

    private static string BoundaryOf(string contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            throw new BadUploadException($"The Content-Type header '{contentType}' is malformed; send {Multipart}; boundary=<boundary> as HTTP clients do.");
        }
        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
        {
            throw new BadUploadException($"The Content-Type '{contentType}' names no boundary; a multipart body needs {Multipart}; boundary=<boundary>.");
        }
        if (boundary.Length > MaxBoundaryLength)
        {
            throw new BadUploadException($"The multipart boundary is {boundary.Length} characters long; RFC 2046 allows at most {MaxBoundaryLength}.");
        }
        return boundary;
    }

    private static Task<MultipartSection?> NextSectionAsync(MultipartReader reader, CancellationToken cancellationToken)
        => Malformed.Guard(() => reader.ReadNextSectionAsync(cancellationToken));

    private static string Expected(IReadOnlyList<string> partNames) => partNames.Count == 1
        ? $"the file as an {RawFile} body or as the {Multipart} part '{partNames[0]}'"
        : $"{Multipart} with the parts {string.Join(", ", partNames.Select(p => $"'{p}'"))}";

    /// <summary>Kestrel's word for a body that stopped short of its Content-Length: the connection closed.</summary>
    private static bool IsEndOfRequestContent(Exception exception)
        => exception is BadHttpRequestException && exception.Message.StartsWith("Unexpected end of request content", StringComparison.Ordinal);

    private static bool IsMultipart(string? contentType)
        => contentType is not null && contentType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase);

    /// <summary>The last path segment, limited to a sane length; only used as a label and as a format hint.</summary>
    private static string? BareName(string? fileName)
    {
        var bare = Path.GetFileName((fileName ?? "").Replace('\\', '/'));
        return string.IsNullOrWhiteSpace(bare) ? null : bare[..Math.Min(bare.Length, 200)];
    }
}
