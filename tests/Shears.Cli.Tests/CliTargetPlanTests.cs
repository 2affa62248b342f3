using System.Globalization;
using System.Text.Json;
using Shears.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Cli.Tests;

/// <summary>
/// Levels and budget jobs from the CLI against the real service: started with <c>--target-flops 0.7,0.4</c> or
/// <c>--accuracy-drop</c>, and their text lists every level (target, model, cost, figure, latency) or every candidate tried
/// (size, figure, drop, held or not, the chosen one) as the API has them.
/// </summary>
[Collection(ServerTests.Name)]
public sealed class CliTargetPlanTests(ShearsServer server, ITestOutputHelper log)
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_levels_job_started_with_a_list_of_fractions_prints_each_level_with_its_model()
    {
        var (modelId, datasetId) = await ShearsCli.UploadTinyMlpAndFashion2kAsync(server);
        var prune = await ShearsCli.RunAsync(server, "prune", "--model", modelId, "--dataset", datasetId, "--method", "fisher",
            "--target-flops", "0.7,0.4", "--option", "steps=20", "--option", "stepsPerPrune=2", "--option", "channelsPerPrune=4",
            "--option", "batchSize=50", "--wait");
        log.WriteLine(prune.ToString());
        Assert.True(prune.ExitCode == ExitCodes.Success, prune.ToString());

        var job = await GetJobAsync(prune.Out);
        Assert.Equal([0.7, 0.4], job.GetProperty("target").GetProperty("flops").EnumerateArray().Select(f => f.GetDouble()));
        var levels = job.GetProperty("result").GetProperty("levels").EnumerateArray().ToList();
        Assert.Equal(2, levels.Count);
        Assert.Contains("levels (2, each a model of its own):", prune.Out, StringComparison.Ordinal);
        foreach (var level in levels)
        {
            var after = level.GetProperty("after");
            var line = Assert.Single(Lines(prune.Out), l => l.Contains($"model {level.GetProperty("modelId").GetGuid()}", StringComparison.Ordinal));
            Assert.StartsWith($"    level {level.GetProperty("target").GetDouble().ToString("P1", CultureInfo.InvariantCulture)} of the flops", line, StringComparison.Ordinal);
            Assert.Contains($"{after.GetProperty("flops").GetInt64().ToString("N0", CultureInfo.InvariantCulture)} FLOPs", line, StringComparison.Ordinal);
            Assert.Contains($"{after.GetProperty("params").GetInt64().ToString("N0", CultureInfo.InvariantCulture)} params", line, StringComparison.Ordinal);
            Assert.Contains($"accuracy {after.GetProperty("accuracy").GetDouble().ToString("P1", CultureInfo.InvariantCulture)}", line, StringComparison.Ordinal);
            Assert.Contains($"latency {after.GetProperty("latencyMs").GetDouble().ToString("F3", CultureInfo.InvariantCulture)} ms", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_budget_job_prints_every_candidate_tried_held_or_not_and_the_chosen_one()
    {
        var (modelId, datasetId) = await ShearsCli.UploadTinyMlpAndFashion2kAsync(server);
        var prune = await ShearsCli.RunAsync(server, "prune", "--model", modelId, "--dataset", datasetId, "--method", "magnitude",
            "--accuracy-drop", "0.05", "--option", "steps=20", "--option", "batchSize=50", "--option", "scope=layer", "--wait");
        log.WriteLine(prune.ToString());
        Assert.True(prune.ExitCode == ExitCodes.Success, prune.ToString());

        var job = await GetJobAsync(prune.Out);
        Assert.Equal(0.05, job.GetProperty("target").GetProperty("accuracyDrop").GetDouble());
        var candidates = job.GetProperty("result").GetProperty("candidates").EnumerateArray().ToList();
        Assert.Contains("candidates tried (accuracyDrop 0.05, smallest by flops):", prune.Out, StringComparison.Ordinal);
        var lines = Lines(prune.Out).Where(l => l.StartsWith("    ", StringComparison.Ordinal) && l.Contains("of the FLOPs (", StringComparison.Ordinal)).ToList();
        Assert.Equal(candidates.Count, lines.Count);
        foreach (var (candidate, line) in candidates.Zip(lines))
        {
            Assert.StartsWith($"    {candidate.GetProperty("flopsFraction").GetDouble().ToString("P1", CultureInfo.InvariantCulture)} of the FLOPs " +
                $"({candidate.GetProperty("flops").GetInt64().ToString("N0", CultureInfo.InvariantCulture)})", line, StringComparison.Ordinal);
            Assert.Contains($"accuracy {candidate.GetProperty("accuracy").GetDouble().ToString("P1", CultureInfo.InvariantCulture)}", line, StringComparison.Ordinal);
            Assert.Contains($"drop {candidate.GetProperty("drop").GetDouble().ToString("G3", CultureInfo.InvariantCulture)}", line, StringComparison.Ordinal);
            Assert.Contains(candidate.GetProperty("withinBudget").GetBoolean() ? ", held" : ", not held", line, StringComparison.Ordinal);
            Assert.Equal(candidate.GetProperty("chosen").GetBoolean(), line.EndsWith("(chosen)", StringComparison.Ordinal));
        }
        Assert.Single(lines, l => l.EndsWith("(chosen)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Levels_that_are_not_numbers_are_a_usage_error_and_a_budget_with_a_fraction_is_the_services_422()
    {
        var (modelId, datasetId) = await ShearsCli.UploadTinyMlpAndFashion2kAsync(server);
        var usage = await ShearsCli.RunAsync(server, "prune", "--model", modelId, "--dataset", datasetId, "--target-flops", "0.5,half");
        Assert.True(usage.ExitCode == ExitCodes.Usage, usage.ToString());
        Assert.Contains("'half' is not a number", usage.Error, StringComparison.Ordinal);

        var refused = await ShearsCli.RunAsync(server, "prune", "--model", modelId, "--dataset", datasetId, "--target-flops", "0.5", "--accuracy-drop", "0.01");
        Assert.True(refused.ExitCode == ExitCodes.ApiError, refused.ToString());
        Assert.Contains("422", refused.Error, StringComparison.Ordinal);
        Assert.Contains("takes no target.flops", refused.Error, StringComparison.Ordinal);
    }

    private static string[] Lines(string text) => [.. text.Split('\n').Select(l => l.TrimEnd('\r'))];

    private async Task<JsonElement> GetJobAsync(string pruneOut)
    {
        var jobId = pruneOut.Split(' ', ':', '\n')[1];
        var get = await ShearsCli.RunAsync(server, "jobs", "get", jobId, "--json");
        Assert.True(get.ExitCode == ExitCodes.Success, get.ToString());
        var job = JsonDocument.Parse(get.Out).RootElement;
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        return job;
    }
}
