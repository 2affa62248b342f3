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
                if (jobEvent.Number("totalSteps") is { } total && total > 0)
                {
                    bar.MaxValue = total;
                    bar.Value = jobEvent.Number("step") ?? bar.Value;
                }
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

    /// <summary>
    /// A progress event in one line: the stage and its steps (the phase's own, then the job's over all phases), the
    /// time left by the measured step time, and the metrics it carries.
    /// </summary>
    public static string Describe(JobEvent progress)
    {
        string? Format(string label, string field, string format)
            => progress.Number(field) is { } value ? $"{label} {value.ToString(format, CultureInfo.InvariantCulture)}" : null;
        var phase = progress.Text("phase");
        var phaseSteps = PhaseSteps(progress, phase);
        var stage = phase is null ? null : phaseSteps is { } steps ? $"{phase} {steps.Done}/{steps.Planned}" : phase;
        var step = progress.Number("step") is { } s ? $"step {s}/{progress.Number("totalSteps")}" : null;
        var eta = progress.Number("etaSeconds") is { } seconds && phase != "done" ? $"about {Duration(seconds)} left" : null;
        var parts = new[] { stage, step, eta, Format("loss", "loss", "0.000"), Format("acc", "accuracy", "P1"), Format("FLOPs", "flops", "P0"), Format("params", "params", "P0") };
        return string.Join(" · ", parts.Where(p => p is not null));
    }

    private static (int Done, int Planned)? PhaseSteps(JobEvent progress, string? phase)
    {
        if (phase is null || !progress.Data.TryGetProperty("phases", out var phases) || phases.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        foreach (var entry in phases.EnumerateArray())
        {
            if (entry.TryGetProperty("name", out var name) && name.GetString() == phase)
            {
                return (entry.GetProperty("stepsDone").GetInt32(), entry.GetProperty("stepsPlanned").GetInt32());
            }
        }
        return null;
    }

    private static string Duration(double seconds) => seconds < 90
        ? $"{Math.Ceiling(seconds).ToString(CultureInfo.InvariantCulture)} s"
        : $"{Math.Round(seconds / 60).ToString(CultureInfo.InvariantCulture)} min";
}
