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
            builder.WebHost.UseUrls(ListenAddresses.Of(builder.Configuration, loopbackOnly: true));
        }
        return keys;
    }
}
