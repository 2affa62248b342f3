using System.Net;
using Microsoft.Net.Http.Headers;

namespace Shears.Api.Auth;

/// <summary>
/// Without API keys the service trusts whoever reaches its loopback port, and that includes every web page the user's
/// browser opens. So in keyless mode: the Host must be this machine's loopback on the port the request came in on (a
/// page on a name that an attacker's DNS points at 127.0.0.1 is refused), <c>/hangfire</c> answers loopback connections
/// only, and a request that changes anything is refused when the browser says it comes from another origin (Origin,
/// Sec-Fetch-Site) or when it carries a body only a plain HTML form would send (urlencoded or text/plain, which need no
/// CORS preflight; the Api reads neither).
/// </summary>
public sealed class KeylessBrowserGuard(RequestDelegate next)
{
    private static readonly string[] FormOnlyMediaTypes = ["application/x-www-form-urlencoded", "text/plain"];

    public async Task InvokeAsync(HttpContext context)
    {
        if (Refusal(context) is { } refusal)
        {
            await Results.Problem(statusCode: refusal.Status, title: refusal.Title, detail: refusal.Detail).ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    private static (int Status, string Title, string Detail)? Refusal(HttpContext context)
    {
        var request = context.Request;
        var localPort = context.Connection.LocalPort;
        if (!IsLoopbackHost(request.Host, request.IsHttps ? 443 : 80, localPort))
        {
            return (StatusCodes.Status400BadRequest, "The Host header does not name this service.",
                $"Without API keys Shears answers only requests addressed to localhost, 127.0.0.1 or [::1] on port {localPort}; " +
                $"'{request.Host}' is not one of them.");
        }
        if (request.Path.StartsWithSegments("/hangfire") && context.Connection.RemoteIpAddress is { } remote && !IPAddress.IsLoopback(remote))
        {
            return (StatusCodes.Status403Forbidden, "The dashboard is for this machine only.", "Without API keys /hangfire answers loopback connections only.");
        }
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            return null;
        }
        var own = $"{request.Scheme}://{request.Host}";
        var origin = request.Headers.Origin.ToString();
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if ((origin.Length > 0 && !string.Equals(origin, own, StringComparison.OrdinalIgnoreCase)) || site is "cross-site" or "same-site")
        {
            return (StatusCodes.Status403Forbidden, "Requests from other web pages are refused.",
                $"Without API keys only this service's own page ({own}) and programs that are not browsers may change anything; " +
                $"this {request.Method} came from {(origin.Length > 0 ? origin : $"a {site} page")}.");
        }
        if (MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            && FormOnlyMediaTypes.Any(form => type.MediaType.Equals(form, StringComparison.OrdinalIgnoreCase)))
        {
            return (StatusCodes.Status415UnsupportedMediaType, "The content type is not accepted.",
                $"No endpoint reads {type.MediaType}; send JSON (application/json) or an upload (multipart/form-data, application/octet-stream), " +
                "or no body at all.");
        }
        return null;
    }

    private static bool IsLoopbackHost(HostString host, int defaultPort, int localPort)
    {
        var name = host.Host.Trim('[', ']');
        var isLoopback = name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(name, out var address) && IPAddress.IsLoopback(address));
        // Port 0: the request came through no socket (an in-process host such as ASP.NET Core's TestServer).
        return host.HasValue && isLoopback && (localPort == 0 || (host.Port ?? defaultPort) == localPort);
    }
}
