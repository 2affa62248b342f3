using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Shears.Api.Extensions;

/// <summary>
/// Limits on a request's line (target included) and header block, answered with problem details (414, 431). Kestrel
/// refuses an oversized request line or header block itself, while parsing, before any application code runs, and its
/// answer has no body; there is no hook to change that. So Kestrel's own limits are set at twice these, and this
/// middleware enforces these: only a request beyond Kestrel's limits still gets its bare 414 or 431.
/// </summary>
public static class RequestHeadLimits
{
    /// <summary>Kestrel's default request line limit.</summary>
    public const int MaxRequestLineBytes = 8 * 1024;

    /// <summary>Kestrel's default header block limit.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    public static void AddRequestHeadLimits(this WebApplicationBuilder builder) => builder.WebHost.ConfigureKestrel(kestrel =>
    {
        kestrel.Limits.MaxRequestLineSize = 2 * MaxRequestLineBytes;
        kestrel.Limits.MaxRequestHeadersTotalSize = 2 * MaxHeaderBytes;
    });

    public static void UseRequestHeadLimits(this WebApplication app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        // As Kestrel counts: "METHOD target HTTP/1.1\r\n", and "name: value\r\n" for every header line.
        var lineBytes = request.Method.Length + 1 + RawTarget(context).Length + 1 + request.Protocol.Length + 2;
        var headerBytes = request.Headers.Sum(h => h.Value.Sum(v => h.Key.Length + 2 + (v?.Length ?? 0) + 2));
        ProblemHttpResult? refusal = lineBytes > MaxRequestLineBytes
            ? TypedResults.Problem(statusCode: StatusCodes.Status414RequestUriTooLong, title: "The request line is too long.",
                detail: $"The method, path and query string may take up to {MaxRequestLineBytes} bytes; this request line has {lineBytes}.")
            : headerBytes > MaxHeaderBytes
                ? TypedResults.Problem(statusCode: StatusCodes.Status431RequestHeaderFieldsTooLarge, title: "The request headers are too large.",
                    detail: $"The headers may take up to {MaxHeaderBytes} bytes together; these take {headerBytes}.")
                : null;
        if (refusal is null)
        {
            await next(context);
            return;
        }
        await refusal.ExecuteAsync(context);
    });

    private static string RawTarget(HttpContext context)
        => context.Features.Get<IHttpRequestFeature>()?.RawTarget
            ?? $"{context.Request.PathBase}{context.Request.Path}{context.Request.QueryString}";
}
