using System.Globalization;
using System.Text.Json;
using Shears.Cli.Api;
using Spectre.Console;

namespace Shears.Cli.Output;

/// <summary>
/// Follows a job's event stream to its end: a live progress bar on the progress console, or silently with
/// <c>--json</c>. Returns the job as the service shows it afterwards.
/// </summary>
public static class JobProgressView
{
    public static async Task<JsonElement> FollowAsync(ShearsClient client, CliConsole console, Guid jobId, bool quiet, CancellationToken cancellationToken)
    {
        var events = new JobEventFeed(client).ReadAsync(jobId, cancellationToken);
        if (quiet)
        {
            await foreach (var _ in events)
            {
            }
        }
        else
        {
            await console.Progress.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    var bar = context.AddTask("queued", maxValue: 1);
                    await foreach (var jobEvent in events)
                    {
                        Show(console.Progress, bar, jobEvent);
                    }
                    bar.StopTask();
                });
        }
        return await client.GetJobAsync(jobId, cancellationToken);
    }

    private static void Show(IAnsiConsole console, ProgressTask bar, JobEvent jobEvent)
    {
        switch (jobEvent.Type)
        {
            case "progress":
                bar.Value = jobEvent.Number("progress") ?? bar.Value;
                bar.Description = Markup.Escape(Describe(jobEvent));
                break;
            case "status":
                bar.Description = Markup.Escape(jobEvent.Status ?? "");
                if (jobEvent.Status == "succeeded")
                {
                    bar.Value = bar.MaxValue;
                }
                console.WriteLine($"{jobEvent.Status}: {jobEvent.Text("message")}");
                break;
            case "log":
                console.WriteLine(jobEvent.Text("message") ?? "");
                break;
            case "warning":
                console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(jobEvent.Text("message") ?? "")}");
                break;
        }
    }

    private static string Describe(JobEvent progress)
    {
        string? Format(string label, string field, string format)
            => progress.Number(field) is { } value ? $"{label} {value.ToString(format, CultureInfo.InvariantCulture)}" : null;
        var step = progress.Number("step") is { } s ? $"step {s}/{progress.Number("totalSteps")}" : null;
        var parts = new[] { step, Format("loss", "loss", "0.000"), Format("acc", "accuracy", "P1"), Format("FLOPs", "flops", "P0"), Format("params", "params", "P0") };
        return string.Join(" · ", parts.Where(p => p is not null));
    }
}
