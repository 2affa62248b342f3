using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Shears.Api.Tests.Infrastructure;
using Shears.Worker.Telemetry;
using Xunit.Abstractions;

namespace Shears.Api.Tests;

/// <summary>
/// OpenTelemetry, seen through in-memory exporters added to the real Api (embedded mode: its worker runs in-process,
/// but the job still goes through Hangfire, on a thread that did not inherit the request's trace): a job's spans form
/// one trace from the request that created it, through the queue, to the worker's phases, each with the job's id; the
/// metrics of jobs, training steps and uploads are recorded.
/// </summary>
public sealed class TelemetryTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_jobs_spans_form_one_trace_from_its_request_to_its_training_phases_and_its_metrics_are_recorded()
    {
        var spans = new List<Activity>();
        var metrics = new List<MetricSnapshot>();
        using var api = new ShearsApiFactory();
        using var host = api.WithWebHostBuilder(builder => builder.ConfigureServices(services => services
            .ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans))
            .ConfigureOpenTelemetryMeterProvider(meters => meters.AddInMemoryExporter(metrics))));
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", ShearsApiFactory.AlphaKey);
        var onnx = await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx"));
        var modelId = await (await client.UploadModelAsync(onnx)).CreatedIdAsync();
        var datasetId = await (await client.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();
        var jobId = await (await client.CreateJobAsync(modelId, datasetId, new { flops = 0.5 }, new { steps = 20 })).CreatedIdAsync();
        var events = await client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(3));
        Assert.Equal("succeeded", events[^1].Json.GetProperty("status").GetString());
        host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        host.Services.GetRequiredService<MeterProvider>().ForceFlush();

        // Other tests' hosts share the process (and the ActivitySource): keep to this job's trace.
        List<Activity> finished;
        lock (spans)
        {
            finished = [.. spans];
        }
        var run = finished.Single(s => s.DisplayName == "job run" && Tag(s) == $"{jobId}");
        var trace = finished.Where(s => s.TraceId == run.TraceId).ToList();
        output.WriteLine(string.Join("\n", trace.Select(s => $"{s.SpanId} ← {s.ParentSpanId} {s.Kind} {s.DisplayName} job={Tag(s)}")));
        var request = trace.Single(s => s.Kind == ActivityKind.Server);
        Assert.Equal("POST /v1/jobs/", request.DisplayName);
        var enqueue = trace.Single(s => s.DisplayName == "job enqueue");
        Assert.Equal(request.SpanId, enqueue.ParentSpanId);
        Assert.Equal(enqueue.SpanId, run.ParentSpanId);
        var phases = trace.Where(s => s.ParentSpanId == run.SpanId).Select(s => s.DisplayName).ToList();
        Assert.Equal(["load inputs", "prune", "store results"], phases);
        var prune = trace.Single(s => s.DisplayName == "prune");
        var training = trace.Single(s => s.DisplayName == "training phase");
        Assert.Equal(prune.SpanId, training.ParentSpanId);
        Assert.Equal("FineTuning", training.GetTagItem("shears.phase"));
        Assert.All(trace, s => Assert.Equal($"{jobId}", Tag(s)));

        // The worker's and the Api's measurements (other hosts may add to them; this job's alone are enough for each).
        var byName = metrics.GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.Last());
        output.WriteLine(string.Join(", ", byName.Keys.Order()));
        Assert.True(HistogramCount(byName["shears.training.step_time"], "phase", "FineTuning") >= 20);
        Assert.True(HistogramCount(byName["shears.job.duration"], "status", "succeeded") >= 1);
        Assert.True(HistogramCount(byName["shears.job.queue_wait"]) >= 1);
        Assert.True(Sum(byName["shears.uploads.bytes"]) >= onnx.Length + new FileInfo(RepoPaths.Fixture(ApiCalls.FashionImages1k)).Length);
        Assert.Contains(Points(byName["shears.jobs"]), p => State(p) == "succeeded" && p.GetGaugeLastValueLong() >= 1);
    }

    private static string? Tag(Activity span) => span.GetTagItem(ShearsTelemetry.JobIdTag)?.ToString();

    private static List<MetricPoint> Points(MetricSnapshot metric) => [.. metric.MetricPoints];

    private static string? State(MetricPoint point) => TagValue(point, "state");

    private static string? TagValue(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key)
            {
                return tag.Value?.ToString();
            }
        }
        return null;
    }

    private static long HistogramCount(MetricSnapshot metric, string? key = null, string? value = null)
        => Points(metric).Where(p => key is null || TagValue(p, key) == value).Sum(p => p.GetHistogramCount());

    private static long Sum(MetricSnapshot metric) => Points(metric).Sum(p => p.GetSumLong());
}
