using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Shears.Worker.Telemetry;

namespace Shears.Worker.Hosting;

/// <summary>
/// OpenTelemetry for the Api and the Worker: the service's spans and metrics (<see cref="ShearsTelemetry"/>), exported
/// over OTLP when <c>Telemetry:Otlp:Endpoint</c> (or the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>) is set.
/// </summary>
public static class TelemetryExtensions
{
    /// <param name="more">The host's own instrumentation and exporters (ASP.NET Core, Prometheus).</param>
    public static OpenTelemetryBuilder AddShearsTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        var otlp = configuration["Telemetry:Otlp:Endpoint"] ?? configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var builder = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing => tracing.AddSource(ShearsTelemetry.Name))
            .WithMetrics(metrics => metrics.AddMeter(ShearsTelemetry.Name));
        if (!string.IsNullOrWhiteSpace(otlp))
        {
            builder.UseOtlpExporter(OpenTelemetry.Exporter.OtlpExportProtocol.Grpc, new Uri(otlp));
        }
        return builder;
    }

    /// <summary><c>Telemetry:Prometheus:Enabled</c>: whether to serve a Prometheus scrape endpoint.</summary>
    public static bool PrometheusEnabled(this IConfiguration configuration) => configuration.GetValue<bool>("Telemetry:Prometheus:Enabled");
}
