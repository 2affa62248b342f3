using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests.Fuzz;

/// <summary>
/// Thousands of damaged and hostile inputs, generated from a fixed seed, thrown at the upload and job-creation
/// endpoints of a real Api process on real PostgreSQL. Whatever arrives: no 5xx, every refusal a problem-details
/// 4xx, the process stays up and its memory bounded, and nothing of a refused upload is kept (no row, no file).
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class UploadFuzzTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const int Seed = 20261128;
    private const long MaxDecodedBytes = 32L << 20;
    private const long MaxPeakGrowthBytes = 400L << 20;

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Thousands_of_hostile_uploads_get_4xx_problems_and_leave_nothing_behind()
    {
        var database = await postgres.CreateDatabaseAsync();
        using var api = await ApiProcess.StartAsync(database, new Dictionary<string, string>
        {
            ["Uploads__MaxModelBytes"] = $"{2 << 20}",
            ["Uploads__MaxDatasetFileBytes"] = $"{4 << 20}",
            ["Uploads__MaxDatasetDecodedBytes"] = $"{MaxDecodedBytes}",
            ["RateLimits__UploadsPerMinute"] = "1000000",
            ["RateLimits__JobsPerMinute"] = "1000000",
        });
        using var client = api.ClientFor(ShearsApiFactory.AlphaKey);

        // Warm up (and give the job corpus a model and dataset that fit together), then take the memory baseline.
        var modelId = await (await client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx")))).CreatedIdAsync();
        var datasetId = await (await client.UploadDatasetAsync(Idx.Bytes([20, 28, 28], i => (byte)i), Idx.Bytes([20], i => (byte)(i % 10)))).CreatedIdAsync();
        var baseline = api.Process.ResidentMemory();

        var random = new Random(Seed);
        var cases = new ModelCorpus(random).Cases(700)
            .Concat(new DatasetCorpus(random, MaxDecodedBytes).Cases(700))
            .Concat(new JobRequestCorpus(random, modelId, datasetId).Cases(600))
            .OrderBy(_ => random.Next())
            .ToList();

        var outcomes = new ConcurrentBag<(FuzzCase Case, HttpStatusCode Status, string? ContentType, string Body)>();
        var clock = Stopwatch.StartNew();
        var sent = 0;
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (fuzz, cancellationToken) =>
        {
            using var request = fuzz.Build();
            using var response = await client.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            outcomes.Add((fuzz, response.StatusCode, response.Content.Headers.ContentType?.MediaType, body));
            if (Interlocked.Increment(ref sent) % 250 == 0)
            {
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", cancellationToken)).StatusCode);
            }
        });
        clock.Stop();
        var after = api.Process.ResidentMemory();

        Report(outcomes.Select(o => (o.Case, o.Status)), clock.Elapsed, baseline, after);
        Assert.False(api.Process.HasExited, api.Process.Output);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);

        var serverErrors = outcomes.Where(o => (int)o.Status >= 500).ToList();
        Assert.True(serverErrors.Count == 0, Describe("answered 5xx", serverErrors.Select(o => (o.Case, o.Status, o.Body))) + api.Process.Output);
        var unexpected = outcomes.Where(o => !Meets(o.Case.Expectation, o.Status)).ToList();
        Assert.True(unexpected.Count == 0, Describe("did not get what they should", unexpected.Select(o => (o.Case, o.Status, o.Body))));
        var notProblems = outcomes.Where(o => (int)o.Status >= 400 && !IsProblem(o.Status, o.ContentType, o.Body)).ToList();
        Assert.True(notProblems.Count == 0, Describe("were refused without problem details", notProblems.Select(o => (o.Case, o.Status, o.Body))));

        await AssertOnlyAcceptedUploadsAreStoredAsync(database, api, outcomes.Select(o => (o.Case.Kind, o.Status)).ToList());
        Assert.True(after.Peak - baseline.Current < MaxPeakGrowthBytes,
            $"the Api's resident memory peaked at {after.Peak >> 20} MiB from a baseline of {baseline.Current >> 20} MiB");
    }

    private static bool Meets(Expectation expectation, HttpStatusCode status) => expectation switch
    {
        Expectation.Refused => (int)status is >= 400 and < 500,
        Expectation.Accepted => status == HttpStatusCode.Created,
        _ => (int)status < 500,
    };

    private static bool IsProblem(HttpStatusCode status, string? contentType, string body)
    {
        if (contentType != "application/problem+json")
        {
            return false;
        }
        using var problem = JsonDocument.Parse(body);
        return problem.RootElement.TryGetProperty("status", out var code) && code.GetInt32() == (int)status
            && problem.RootElement.TryGetProperty("title", out _);
    }

    /// <summary>Rows only for accepted requests (plus the two warm-up uploads), and exactly the files those rows name.</summary>
    private static async Task AssertOnlyAcceptedUploadsAreStoredAsync(string database, ApiProcess api, List<(string Kind, HttpStatusCode Status)> outcomes)
    {
        int Accepted(string kind, HttpStatusCode status) => outcomes.Count(o => o.Kind == kind && o.Status == status);
        Task<List<string>> Column(string sql) => Sql.ColumnAsync(database, sql);
        Assert.Equal(Accepted("model", HttpStatusCode.Created) + 1, (await Column("SELECT id FROM models")).Count);
        Assert.Equal(Accepted("dataset", HttpStatusCode.Created) + 1, (await Column("SELECT id FROM datasets")).Count);
        Assert.Equal(Accepted("job", HttpStatusCode.Accepted), (await Column("SELECT id FROM jobs")).Count);

        var referenced = (await Column("SELECT sha256 FROM models UNION SELECT inputs_sha256 FROM datasets UNION SELECT labels_sha256 FROM datasets WHERE labels_sha256 IS NOT NULL")).ToHashSet();
        var stored = Directory.EnumerateFiles(Path.Combine(api.ArtifactsPath, "objects"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToHashSet();
        Assert.Equal(referenced.Order(), stored.Order());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(api.ArtifactsPath, "tmp")));
        // Path-like names never became paths: the data folder holds the artifact store and nothing else.
        Assert.Equal([api.ArtifactsPath], Directory.EnumerateFileSystemEntries(api.DataDirectory));
    }

    private void Report(IEnumerable<(FuzzCase Case, HttpStatusCode Status)> outcomes, TimeSpan elapsed, (long Current, long Peak) baseline, (long Current, long Peak) after)
    {
        var list = outcomes.ToList();
        output.WriteLine($"{list.Count} requests in {elapsed.TotalSeconds:F1} s; Api resident memory {baseline.Current >> 20} MiB before, " +
            $"{after.Current >> 20} MiB after, peak {after.Peak >> 20} MiB");
        foreach (var group in list.GroupBy(o => (o.Case.Kind, o.Case.Label)).OrderBy(g => g.Key))
        {
            output.WriteLine($"{group.Key.Kind,-8} {group.Key.Label,-40} {string.Join(" ", group.GroupBy(o => (int)o.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"))}");
        }
    }

    private static string Describe(string what, IEnumerable<(FuzzCase Case, HttpStatusCode Status, string Body)> failures)
    {
        var list = failures.ToList();
        return $"{list.Count} requests {what}:\n" + string.Join("\n", list.GroupBy(f => (f.Case.Kind, f.Case.Label, f.Status)).Select(g =>
            $"  {g.Key.Kind} / {g.Key.Label} → {(int)g.Key.Status} ×{g.Count()}: {g.First().Body[..Math.Min(g.First().Body.Length, 400)]}")) + "\n";
    }
}
