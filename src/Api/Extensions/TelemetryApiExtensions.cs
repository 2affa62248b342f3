using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Shears.Worker.Hosting;
using Shears.Worker.Telemetry;

namespace Shears.Api.Extensions;

/// <summary>
/// The Api's OpenTelemetry: the service's own spans and metrics (<see cref="TelemetryExtensions"/>), ASP.NET Core's request
/// spans and metrics, <c>shears.jobs</c> by state, and a Prometheus scrape endpoint at <c>/metrics</c> when
/// <c>Telemetry:Prometheus:Enabled</c>.
/// </summary>
public static class TelemetryApiExtensions
{
    public static void AddShearsApiTelemetry(this WebApplicationBuilder builder)
    {
        var telemetry = builder.Services.AddShearsTelemetry(builder.Configuration, "shears-api")
            .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation(options => options.Filter = IsTraced))
            .WithMetrics(metrics => metrics.AddAspNetCoreInstrumentation());
        if (builder.Configuration.PrometheusEnabled())
        {
            telemetry.WithMetrics(metrics => metrics.AddPrometheusExporter());
        }
        builder.Services.AddSingleton<JobStateGauge>();
    }

    public static void MapShearsTelemetry(this WebApplication app)
    {
        app.Services.GetRequiredService<JobStateGauge>();
        if (app.Configuration.PrometheusEnabled())
        {
            app.MapPrometheusScrapingEndpoint("/metrics");
        }
    }

    /// <summary>Probes and scrapes are not traced: they would drown the requests worth seeing.</summary>
    private static bool IsTraced(HttpContext context)
        => !context.Request.Path.StartsWithSegments("/healthz") && !context.Request.Path.StartsWithSegments("/readyz")
            && !context.Request.Path.StartsWithSegments("/metrics");
}
