using System.Text.Json;
using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests;

/// <summary>
/// A job's progress events carry its plan: the stage it is in, the steps done and planned per phase, the total over
/// them, and an ETA from the measured step time. A Fisher job cannot know its rounds in advance, so it starts from an
/// estimate and refines it. (Before, <c>totalSteps</c> was always "steps so far + fine-tuning steps", and the ETA,
/// extrapolated from a progress fraction made up per method, grew from 121 s to 570 s over a job.)
/// </summary>
public sealed class JobProgressPlanTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_fisher_jobs_events_report_its_phases_steps_planned_and_an_eta_from_measured_steps()
    {
        using var api = new ShearsApiFactory(withKeys: false);
        var client = api.ClientFor(null);
        var modelId = await (await client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx")))).CreatedIdAsync();
        var datasetId = await (await client.UploadDatasetAsync(ApiCalls.FashionImages2k, ApiCalls.FashionLabels2k)).CreatedIdAsync();
        var jobId = await (await client.CreateJobAsync(modelId, datasetId, new { flops = 0.5 }, new { epochs = 1 }, "fisher")).CreatedIdAsync();

        var events = await client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(5));
        var progress = events.Where(e => e.Type == "progress").Select(e => e.Json).ToList();
        foreach (var p in progress.Where((_, i) => i % 5 == 0).Append(progress[^1]))
        {
            output.WriteLine(p.ToString());
        }
        Assert.Equal("succeeded", events[^1].Json.GetProperty("status").GetString());

        // The plan from the first event on: Fisher's rounds, then one epoch of fine-tuning (1,800 training samples / 100).
        var first = progress[0];
        Assert.Equal("measuring", first.GetProperty("phase").GetString());
        Assert.Equal(["fisher-rounds", "fine-tuning"], Phases(first).Select(p => p.Name));
        Assert.Equal(18, Phases(first)[1].Planned);

        // The end: every phase done as planned, the job's steps are the total.
        var last = progress[^1];
        Assert.Equal("done", last.GetProperty("phase").GetString());
        Assert.All(Phases(last), p => Assert.Equal(p.Planned, p.Done));
        var total = last.GetProperty("totalSteps").GetInt32();
        Assert.Equal(total, last.GetProperty("step").GetInt32());
        Assert.Equal(total, Phases(last).Sum(p => p.Done));
        Assert.Equal(0, last.GetProperty("etaSeconds").GetDouble());

        // The first estimate was near the real total (within a factor of two), steps never went back, and every event's
        // totalSteps is the sum of its phases' plans.
        var estimated = first.GetProperty("totalSteps").GetInt32();
        Assert.InRange(estimated, total / 2, total * 2);
        var steps = progress.Select(p => p.GetProperty("step").GetInt32()).ToList();
        Assert.Equal(steps.Order(), steps);
        Assert.All(progress, p => Assert.Equal(Phases(p).Sum(x => x.Planned), p.GetProperty("totalSteps").GetInt32()));

        // The ETA is the planned steps left times the measured step time: it shrinks as the job goes instead of growing.
        var etas = progress.Where(p => p.TryGetProperty("etaSeconds", out var eta) && eta.ValueKind == JsonValueKind.Number && p.GetProperty("phase").GetString() != "done")
            .Select(p => (Eta: p.GetProperty("etaSeconds").GetDouble(), Left: p.GetProperty("totalSteps").GetInt32() - p.GetProperty("step").GetInt32(),
                StepSeconds: p.GetProperty("stepSeconds").GetDouble()))
            .ToList();
        Assert.True(etas.Count > 5, $"{etas.Count} events with an ETA");
        Assert.True(etas.Max(e => e.Eta) <= 2 * etas[0].Eta + 5, $"ETA grew from {etas[0].Eta:F1} s to {etas.Max(e => e.Eta):F1} s");
        Assert.True(etas[^1].Eta < etas[0].Eta, $"ETA {etas[0].Eta:F1} s at first, {etas[^1].Eta:F1} s at the end");
        Assert.All(etas, e => Assert.True(e.Left > 0 == e.Eta > 0 && e.StepSeconds > 0, $"{e.Left} steps left, ETA {e.Eta} s, {e.StepSeconds} s a step"));
    }

    private static List<(string Name, int Done, int Planned)> Phases(JsonElement progress)
        => progress.GetProperty("phases").EnumerateArray()
            .Select(p => (p.GetProperty("name").GetString()!, p.GetProperty("stepsDone").GetInt32(), p.GetProperty("stepsPlanned").GetInt32()))
            .ToList();
}
