using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using Shears.Cli.Api;
using Shears.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Cli.Tests.Browser;

/// <summary>The job page in a real browser against the real service: live points while the job runs, then the API's numbers.</summary>
[Collection(ServerTests.Name)]
public sealed class JobPageTests(ShearsServer server, ITestOutputHelper log)
{
    private const string FlopsPointCount = "Number(document.querySelector('#chart-cost polyline[data-series=flops]')?.dataset.count ?? 0)";

    [Fact]
    [Trait("Category", "Slow")]
    public async Task The_job_page_draws_points_while_the_job_runs_and_ends_with_the_APIs_numbers()
    {
        var (modelId, datasetId) = await ShearsCli.UploadTinyMlpAndFashion2kAsync(server);
        var (playwright, browser) = await SystemChromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        // The page is open before the job starts, so a fast machine cannot finish the job before the page sees it run.
        var page = await OpenWithKeyAsync(browser);
        var jobId = await StartJobAsync(modelId, datasetId);
        await page.EvaluateAsync("id => { location.hash = `#/jobs/${id}`; }", jobId.ToString());

        // Points arrive while the job is still running, and keep arriving.
        await page.WaitForFunctionAsync($"() => document.querySelector('#status')?.textContent === 'running' && {FlopsPointCount} > 0",
            null, new PageWaitForFunctionOptions { Timeout = 240_000, PollingInterval = 100 });
        var early = await page.EvaluateAsync<int>($"() => {FlopsPointCount}");
        await page.WaitForFunctionAsync($"() => {FlopsPointCount} > {early}", null, new PageWaitForFunctionOptions { Timeout = 240_000 });

        await page.WaitForFunctionAsync("() => document.querySelector('#status')?.textContent === 'succeeded' && document.querySelector('#after-params')",
            null, new PageWaitForFunctionOptions { Timeout = 240_000 });

        using var client = new ShearsClient(server.Url, ShearsServer.ApiKey);
        var job = await client.GetJobAsync(jobId, CancellationToken.None);
        var result = job.GetProperty("result");
        foreach (var side in new[] { "before", "after" })
        {
            foreach (var field in new[] { "params", "flops", "accuracy" })
            {
                var shown = await page.GetAttributeAsync($"#{side}-{field}", "data-value");
                Assert.Equal(result.GetProperty(side).GetProperty(field).GetDouble(), double.Parse(shown!, CultureInfo.InvariantCulture));
            }
        }
        // The agreement with the original, per output, and where the figures were measured.
        var agreement = result.GetProperty("after").GetProperty("agreement").EnumerateArray().ToArray();
        Assert.Equal(agreement.Select(a => a.GetProperty("output").GetString()), await page.Locator("tr.agreement th").AllTextContentsAsync());
        Assert.Equal(agreement.Select(a => a.GetProperty("cosine").GetDouble().ToString("F4", CultureInfo.InvariantCulture)),
            await page.Locator("tr.agreement td:nth-child(4)").AllTextContentsAsync());
        Assert.Contains(result.GetProperty("evaluatedOn").GetString()!, await page.TextContentAsync("#evaluated-on"), StringComparison.Ordinal);
        var layers = result.GetProperty("layers").EnumerateArray().ToArray();
        var bars = await page.Locator("#chart-layers rect").EvaluateAllAsync<double[]>("bars => bars.map(b => Number(b.dataset.value))");
        Assert.Equal(layers.SelectMany(l => new[] { l.GetProperty("channelsBefore").GetDouble(), l.GetProperty("channelsAfter").GetDouble() }), bars);

        var flopsEvents = 0;
        await foreach (var jobEvent in new JobEventFeed(client).ReadAsync(jobId, CancellationToken.None))
        {
            flopsEvents += jobEvent.Type == "progress" && jobEvent.Number("flops") is not null ? 1 : 0;
        }
        Assert.Equal(flopsEvents, await page.EvaluateAsync<int>($"() => {FlopsPointCount}"));
        Assert.Equal(job.GetProperty("artifacts").EnumerateArray().Select(a => a.GetString()), await page.Locator("#artifacts a").AllTextContentsAsync());
        await page.WaitForFunctionAsync($"() => document.querySelector('#report-png')?.naturalWidth === {Worker.Jobs.ReportPlot.Width}");
        log.WriteLine($"{flopsEvents} points; result {result}");
        if (Environment.GetEnvironmentVariable("SHEARS_UI_SCREENSHOT") is { Length: > 0 } screenshot)
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task The_job_page_lists_a_levels_jobs_levels_and_a_budget_jobs_candidates_as_the_API_has_them()
    {
        var (modelId, datasetId) = await ShearsCli.UploadTinyMlpAndFashion2kAsync(server);
        var levelsJob = await RunToEndAsync("prune", "--model", modelId, "--dataset", datasetId, "--method", "fisher", "--target-flops", "0.7,0.4",
            "--option", "steps=20", "--option", "stepsPerPrune=2", "--option", "channelsPerPrune=4", "--option", "batchSize=50");
        var budgetJob = await RunToEndAsync("prune", "--model", modelId, "--dataset", datasetId, "--method", "magnitude", "--accuracy-drop", "0.05",
            "--option", "steps=20", "--option", "batchSize=50", "--option", "scope=layer");

        var (playwright, browser) = await SystemChromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await OpenWithKeyAsync(browser);
        using var client = new ShearsClient(server.Url, ShearsServer.ApiKey);

        // Levels: one row per level, largest first, with its model, cost, figure and latency.
        await page.EvaluateAsync("id => { location.hash = `#/jobs/${id}`; }", levelsJob.ToString());
        await page.WaitForSelectorAsync("#levels tr.level");
        var levels = (await client.GetJobAsync(levelsJob, CancellationToken.None)).GetProperty("result").GetProperty("levels").EnumerateArray().ToArray();
        Assert.Equal(levels.Select(l => l.GetProperty("modelId").GetString()), await page.Locator("#levels tr.level").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.modelId)"));
        Assert.Equal(levels.Select(l => l.GetProperty("after").GetProperty("flops").GetDouble()),
            await page.Locator("#levels tr.level td:nth-child(3)").EvaluateAllAsync<double[]>("cells => cells.map(c => Number(c.dataset.value))"));
        Assert.Equal(levels.Select(l => l.GetProperty("after").GetProperty("params").GetDouble()),
            await page.Locator("#levels tr.level td:nth-child(4)").EvaluateAllAsync<double[]>("cells => cells.map(c => Number(c.dataset.value))"));
        Assert.Equal(levels.Select(l => $"accuracy {100 * l.GetProperty("after").GetProperty("accuracy").GetDouble():F1} %"),
            await page.Locator("#levels tr.level td:nth-child(5)").AllTextContentsAsync());
        Assert.Equal(levels.Select(l => l.GetProperty("after").GetProperty("latencyMs").GetDouble().ToString("F3", CultureInfo.InvariantCulture)),
            await page.Locator("#levels tr.level td:nth-child(6)").AllTextContentsAsync());

        // Budget: one row per candidate tried, held or not, the chosen one marked.
        await page.EvaluateAsync("id => { location.hash = `#/jobs/${id}`; }", budgetJob.ToString());
        await page.WaitForSelectorAsync("#candidates tr.candidate");
        var candidates = (await client.GetJobAsync(budgetJob, CancellationToken.None)).GetProperty("result").GetProperty("candidates").EnumerateArray().ToArray();
        Assert.Equal(candidates.Select(c => c.GetProperty("flops").GetDouble()),
            await page.Locator("#candidates tr.candidate").EvaluateAllAsync<double[]>("rows => rows.map(r => Number(r.dataset.flops))"));
        Assert.Equal(candidates.Select(c => c.GetProperty("withinBudget").GetBoolean() ? "held" : "not held"),
            await page.Locator("#candidates tr.candidate td:nth-child(5)").AllTextContentsAsync());
        Assert.Equal(candidates.Select(c => c.GetProperty("drop").GetDouble()),
            await page.Locator("#candidates tr.candidate td:nth-child(4)").EvaluateAllAsync<double[]>("cells => cells.map(c => Number(c.dataset.value))"));
        var chosen = Assert.Single(candidates, c => c.GetProperty("chosen").GetBoolean());
        Assert.Equal(chosen.GetProperty("flops").GetDouble(), await page.Locator("#candidates tr.chosen").EvaluateAsync<double>("row => Number(row.dataset.flops)"));
        Assert.Contains("accuracyDrop 0.05, smallest by flops", await page.TextContentAsync("#sizes h3"), StringComparison.Ordinal);
    }

    /// <summary>The job page's home, with the API key entered and the lists shown.</summary>
    private async Task<IPage> OpenWithKeyAsync(IBrowser browser)
    {
        var page = await browser.NewPageAsync();
        page.Console += (_, message) => log.WriteLine($"browser: {message.Text}");
        await page.GotoAsync(server.Url + "/");
        await page.FillAsync("#api-key", ShearsServer.ApiKey);
        await page.ClickAsync("#key-form button");
        await page.WaitForSelectorAsync("h2:has-text('Models')");
        return page;
    }

    private async Task<Guid> RunToEndAsync(params string[] prune)
    {
        var run = await ShearsCli.RunAsync(server, [.. prune, "--wait", "--json"]);
        log.WriteLine(run.ToString());
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        return JsonDocument.Parse(run.Out).RootElement.GetProperty("id").GetGuid();
    }

    private static string IdOf(ShearsCli.Run run)
    {
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        return JsonDocument.Parse(run.Out).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>About 2,000 fine-tuning steps: long enough to watch on a fast machine, short on a slow one.</summary>
    private async Task<Guid> StartJobAsync(string modelId, string datasetId) =>
        Guid.Parse(IdOf(await ShearsCli.RunAsync(server, "prune", "--model", modelId, "--dataset", datasetId, "--method", "magnitude",
            "--target-flops", "0.5", "--option", "epochs=10", "--option", "batchSize=10", "--json")));
}
