using System.Security.Claims;

namespace Shears.Api.Auth;

public static class TenantExtensions
{
    /// <summary>The tenant the authenticated caller acts for; every query of resources filters on it.</summary>
    public static string TenantId(this ClaimsPrincipal user)
        => user.FindFirstValue(ApiKeyAuthenticationHandler.TenantClaim)
            ?? throw new InvalidOperationException("The request was not authenticated.");
}
