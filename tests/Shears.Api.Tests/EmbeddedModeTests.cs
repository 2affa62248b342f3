using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests;

/// <summary>The zero-set-up mode: SQLite, Hangfire in memory, the job runs inside the Api process.</summary>
public sealed class EmbeddedModeTests(ITestOutputHelper output) : IDisposable
{
    private readonly ShearsApiFactory _api = new(withKeys: false);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_magnitude_job_runs_in_process_from_upload_to_a_smaller_network_that_ONNX_Runtime_runs()
    {
        var client = _api.ClientFor(null);
        var outcome = await PruningFlow.RunMagnitudeJobAsync(client);
        await PruningFlow.AssertSucceededAsync(client, outcome);
        output.WriteLine($"result: {outcome.Job.GetProperty("result")}");
        output.WriteLine($"ONNX file {outcome.Original.Length} → {outcome.Pruned.Length} bytes; ONNX Runtime accuracy of the pruned network on 500 test samples {outcome.OrtAccuracy:P1}");
    }

    public void Dispose() => _api.Dispose();
}
