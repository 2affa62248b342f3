using System.Net;
using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests;

/// <summary>
/// <c>POST /v1/jobs</c> sent at the same moment as the <c>DELETE</c> of its model or dataset, round after round, to a
/// real Api process: either the job is accepted and the deletion refused (409), or the deletion wins and the job is
/// refused (404). Never both accepted, which left a queued job whose model was gone.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class InUseRaceTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const int Rounds = 25;

    public static TheoryData<string, string> Modes => new() { { "distributed", "models" }, { "distributed", "datasets" }, { "embedded", "models" }, { "embedded", "datasets" } };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_job_racing_the_deletion_of_what_it_uses_is_never_accepted_with_it_gone(string mode, string resource)
    {
        // Embedded mode's in-process worker would start the jobs; here they only need to be queued.
        var noWorker = new Dictionary<string, string> { ["Worker__Queues"] = "none" };
        using var api = mode == "distributed"
            ? await ApiProcess.StartAsync(await postgres.CreateDatabaseAsync())
            : await ApiProcess.StartEmbeddedAsync(noWorker);
        using var client = api.ClientFor(ShearsApiFactory.AlphaKey);
        var onnx = await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx"));
        var modelId = await (await client.UploadModelAsync(onnx)).CreatedIdAsync();
        var datasetId = await (await client.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();

        var outcomes = new Dictionary<string, int>();
        for (var round = 0; round < Rounds; round++)
        {
            // A fresh row to delete each round; the other one is shared (queued jobs never block it from being used).
            var doomed = resource == "models"
                ? modelId = await (await client.UploadModelAsync(onnx)).CreatedIdAsync()
                : datasetId = await (await client.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k)).CreatedIdAsync();
            var create = client.CreateJobAsync(modelId, datasetId);
            var delete = client.DeleteAsync($"/v1/{resource}/{doomed}");
            using var created = await create;
            using var deleted = await delete;
            var outcome = $"job {(int)created.StatusCode}, delete {(int)deleted.StatusCode}";
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;

            Assert.True(outcome is "job 202, delete 409" or "job 404, delete 204",
                $"round {round}: {outcome}: {await created.Content.ReadAsStringAsync()} {await deleted.Content.ReadAsStringAsync()}");
            var stillThere = (await client.GetAsync($"/v1/{resource}/{doomed}")).StatusCode;
            Assert.Equal(created.StatusCode == HttpStatusCode.Accepted ? HttpStatusCode.OK : HttpStatusCode.NotFound, stillThere);
        }
        output.WriteLine(string.Join("; ", outcomes.Select(o => $"{o.Key}: {o.Value}×")));
    }
}
