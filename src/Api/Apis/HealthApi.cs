using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace Shears.Api.Apis;

/// <summary><c>/healthz</c> (the process answers) and <c>/readyz</c> (it can reach its database).</summary>
public static class HealthApi
{
    public const string ReadyTag = "ready";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) }).AllowAnonymous();
        return app;
    }
}
