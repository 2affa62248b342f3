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
        var (modelId, datasetId) = await UploadAsync();
        var (playwright, browser) = await SystemChromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        page.Console += (_, message) => log.WriteLine($"browser: {message.Text}");

        // The page is open before the job starts, so a fast machine cannot finish the job before the page sees it run.
        await page.GotoAsync(server.Url + "/");
        await page.FillAsync("#api-key", ShearsServer.ApiKey);
        await page.ClickAsync("#key-form button");
        await page.WaitForSelectorAsync("h2:has-text('Models')");
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

    private static string IdOf(ShearsCli.Run run)
    {
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        return JsonDocument.Parse(run.Out).RootElement.GetProperty("id").GetString()!;
    }

    private async Task<(string Model, string Dataset)> UploadAsync() =>
        (IdOf(await ShearsCli.RunAsync(server, "models", "upload", RepoPaths.Fixture("tiny_mlp.onnx"), "--json")),
         IdOf(await ShearsCli.RunAsync(server, "datasets", "upload", "--inputs", RepoPaths.Fixture("fashion_train_2k-images-idx3-ubyte.gz"),
             "--labels", RepoPaths.Fixture("fashion_train_2k-labels-idx1-ubyte.gz"), "--json")));

    /// <summary>About 2,000 fine-tuning steps: long enough to watch on a fast machine, short on a slow one.</summary>
    private async Task<Guid> StartJobAsync(string modelId, string datasetId) =>
        Guid.Parse(IdOf(await ShearsCli.RunAsync(server, "prune", "--model", modelId, "--dataset", datasetId, "--method", "magnitude",
            "--target-flops", "0.5", "--option", "epochs=10", "--option", "batchSize=10", "--json")));
}
