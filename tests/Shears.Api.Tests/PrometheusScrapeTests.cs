using System.Net;
using System.Text.RegularExpressions;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests;

/// <summary>
/// The Prometheus scrape endpoint of a real Api process: absent unless Telemetry:Prometheus:Enabled, and then it serves
/// the service's metrics in the text format, without an API key (Prometheus sends none).
/// </summary>
public sealed partial class PrometheusScrapeTests
{
    [Fact]
    public async Task With_prometheus_enabled_metrics_shows_the_uploaded_bytes_and_the_jobs_by_state()
    {
        using var api = await ApiProcess.StartEmbeddedAsync(new Dictionary<string, string> { ["Telemetry__Prometheus__Enabled"] = "true" });
        using var client = api.ClientFor(ShearsApiFactory.AlphaKey);
        var onnx = await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx"));
        await (await client.UploadModelAsync(onnx)).CreatedIdAsync();

        using var anonymous = api.ClientFor(null);
        using var scrape = await anonymous.GetAsync("/metrics");
        var text = await scrape.Content.ReadAsStringAsync();
        Assert.True(scrape.StatusCode == HttpStatusCode.OK, text);
        var uploaded = UploadedBytes().Match(text);
        Assert.True(uploaded.Success, text);
        Assert.Equal(onnx.Length, long.Parse(uploaded.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Matches(QueuedJobs(), text);
    }

    [Fact]
    public async Task Without_prometheus_enabled_there_is_no_metrics_endpoint()
    {
        using var api = await ApiProcess.StartEmbeddedAsync();
        using var scrape = await api.ClientFor(null).GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, scrape.StatusCode);
    }

    [GeneratedRegex(@"^shears_uploads_bytes\w*\{[^}]*part=""file""[^}]*\} (\d+)", RegexOptions.Multiline)]
    private static partial Regex UploadedBytes();

    [GeneratedRegex(@"^shears_jobs\w*\{[^}]*state=""queued""[^}]*\} 0", RegexOptions.Multiline)]
    private static partial Regex QueuedJobs();
}
