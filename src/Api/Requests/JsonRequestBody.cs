using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace Shears.Api.Requests;

/// <summary>
/// Reads a JSON request body as a document, so the endpoint can name every wrong field itself instead of the
/// framework answering a bare 400: malformed JSON is refused with the parser's reason and position.
/// </summary>
public static class JsonRequestBody
{
    /// <summary>Largest JSON body read (a job request is well under a kilobyte).</summary>
    public const long MaxBytes = 1024 * 1024;

    /// <exception cref="BadHttpRequestException">The body is not JSON, with the reason.</exception>
    public static async Task<JsonElement> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = MaxBytes;
        }
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
            return document.RootElement.Clone();
        }
        catch (JsonException invalid)
        {
            throw new BadHttpRequestException($"The body is not valid JSON: {invalid.Message}");
        }
    }
}
