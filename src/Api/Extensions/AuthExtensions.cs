using Microsoft.AspNetCore.Authentication;
using Shears.Api.Auth;

namespace Shears.Api.Extensions;

public static class AuthExtensions
{
    public const string AdminPolicy = "admin";

    /// <summary>
    /// API-key authentication with tenants. With no key configured the service is open to anonymous use, so it
    /// binds to loopback only, whatever URLs were configured.
    /// </summary>
    public static ApiKeyRegistry AddApiKeyAuth(this WebApplicationBuilder builder)
    {
        var keys = new ApiKeyRegistry(builder.Configuration);
        builder.Services.AddSingleton(keys);
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicy, policy => policy.RequireRole(ApiKeyAuthenticationHandler.AdminRole));
        if (keys.IsOpen)
        {
            builder.WebHost.UseUrls(LoopbackOnly(builder.Configuration["urls"] ?? "http://localhost:5000"));
        }
        return keys;
    }

    private static string[] LoopbackOnly(string urls) => urls
        .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(url => url.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal))
        .Select(url => new UriBuilder(url) { Host = IsLoopback(new Uri(url).Host) ? new Uri(url).Host : "127.0.0.1" }.Uri.ToString().TrimEnd('/'))
        .ToArray();

    private static bool IsLoopback(string host)
        => host == "localhost" || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));
}
