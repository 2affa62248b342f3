namespace Shears.Api.Requests;

/// <summary>A body sent with a content type the endpoint does not read (answered with 415 naming the ones it does).</summary>
public sealed class UnsupportedContentTypeException(string? sent, IReadOnlyList<string> accepted)
    : Exception($"This endpoint reads {string.Join(" or ", accepted)}; the request was sent {(string.IsNullOrEmpty(sent) ? "without a Content-Type" : $"as {sent}")}.")
{
    public IReadOnlyList<string> Accepted { get; } = accepted;

    /// <summary>Throws unless the request's media type is one of <paramref name="accepted"/> (a <c>+json</c> suffix counts as JSON).</summary>
    public static void ThrowUnlessOneOf(HttpRequest request, params string[] accepted)
    {
        var mediaType = MediaTypeOf(request.ContentType);
        var matches = mediaType is not null && accepted.Any(a => string.Equals(a, mediaType, StringComparison.OrdinalIgnoreCase)
            || (a == "application/json" && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)));
        if (!matches)
        {
            throw new UnsupportedContentTypeException(request.ContentType, accepted);
        }
    }

    private static string? MediaTypeOf(string? contentType)
        => string.IsNullOrWhiteSpace(contentType) ? null : contentType.Split(';')[0].Trim();
}
