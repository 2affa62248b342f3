using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests;

/// <summary>The zero-set-up mode: SQLite, Hangfire in memory, the job runs inside the Api process.</summary>
public sealed class EmbeddedModeTests : IDisposable
{
    private readonly ShearsApiFactory _api = new(withKeys: false);

    [Fact(Skip = Pending.Engine)]
    [Trait("Category", "Slow")]
    public async Task A_magnitude_job_runs_in_process_from_upload_to_a_smaller_network_that_ONNX_Runtime_runs()
    {
        var client = _api.ClientFor(null);
        var outcome = await PruningFlow.RunMagnitudeJobAsync(client);
        await PruningFlow.AssertSucceededAsync(client, outcome);
    }

    public void Dispose() => _api.Dispose();
}
