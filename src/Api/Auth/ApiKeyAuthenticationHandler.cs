using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Shears.Api.Auth;

/// <summary>
/// Authenticates <c>X-Api-Key: K</c> or <c>Authorization: Bearer K</c> (and, so a browser can open the Hangfire
/// dashboard, <c>Authorization: Basic</c> with K as the password). The key itself is never logged.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyRegistry keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string TenantClaim = "tenant";
    public const string AdminRole = "admin";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (keys.IsOpen)
        {
            return Task.FromResult(Success(ApiKeyRegistry.AnonymousTenant, isAdmin: true));
        }
        var presented = PresentedKey(Request);
        if (presented is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        return Task.FromResult(keys.Find(presented) is { } match
            ? Success(match.Tenant, match.IsAdmin)
            : AuthenticateResult.Fail("The API key is not valid."));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = Request.Path.StartsWithSegments("/hangfire")
            ? "Basic realm=\"Shears admin\", charset=\"UTF-8\""
            : "Bearer";
        var (title, detail) = PresentedKey(Request) is null
            ? ("An API key is required.", "Send your key in the X-Api-Key header or as Authorization: Bearer <key>.")
            : ("The API key is wrong.", "The key sent is not one this service knows; check it (SHEARS_API_KEY for the CLI) or ask the operator for yours.");
        await Results.Problem(title: title, detail: detail, statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
        => await Results.Problem(title: "This needs the admin key.", statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(Context);

    private static AuthenticateResult Success(string tenant, bool isAdmin)
    {
        var claims = new List<Claim> { new(TenantClaim, tenant), new(ClaimTypes.Name, tenant) };
        if (isAdmin)
        {
            claims.Add(new Claim(ClaimTypes.Role, AdminRole));
        }
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private static string? PresentedKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-Api-Key", out var header) && !string.IsNullOrEmpty(header))
        {
            return header.ToString();
        }
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }
        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return BasicPassword(authorization["Basic ".Length..].Trim());
        }
        return null;
    }

    private static string? BasicPassword(string encoded)
    {
        if (encoded.Length > 1024)
        {
            return null;
        }
        Span<byte> buffer = stackalloc byte[encoded.Length];
        if (!Convert.TryFromBase64String(encoded, buffer, out var written))
        {
            return null;
        }
        var text = Encoding.UTF8.GetString(buffer[..written]);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? null : text[(colon + 1)..];
    }
}
