using System.CommandLine;
using System.Text.Json;
using Shears.Cli.Output;

namespace Shears.Cli.Commands;

/// <summary><c>shears jobs list</c>, <c>shears jobs get|wait|cancel|download ID</c>.</summary>
public static class JobsCommands
{
    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var jobs = new Command("jobs", "Pruning jobs.");
        jobs.Subcommands.Add(ListCommand.Create("jobs", global, console,
            job => $"{job.Text("status"),-9}  {job.Text("method"),-9}  {job.Percent("progress"),7}{(job.Text("error") is var error and not "-" ? $"  {error}" : "")}"));
        jobs.Subcommands.Add(Get(global, console));
        jobs.Subcommands.Add(Wait(global, console));
        jobs.Subcommands.Add(Cancel(global, console));
        jobs.Subcommands.Add(Download(global, console));
        return jobs;
    }

    private static Argument<Guid> JobId() => new("ID") { Description = "The job's id." };

    private static Command Get(GlobalOptions global, CliConsole console)
    {
        var id = JobId();
        var get = new Command("get", "Show a job: status, progress, result, artifacts. Exit code: the job's if it has ended.") { id };
        CommandRunner.Bind(get, global, console, async (run, cancellationToken) =>
        {
            var job = await run.Client.GetJobAsync(run.Parse.GetValue(id), cancellationToken);
            run.Write(job, output => JobText.Write(output, job));
            return ExitCodes.ForJobStatus(job.Text("status"));
        });
        return get;
    }

    private static Command Wait(GlobalOptions global, CliConsole console)
    {
        var id = JobId();
        var wait = new Command("wait", "Follow a job to its end with a live progress bar; the exit code tells how it ended. "
            + "Ctrl-C stops the following, not the job.") { id };
        CommandRunner.Bind(wait, global, console, (run, cancellationToken) => JobFollowing.FollowAsync(run, run.Parse.GetValue(id), cancellationToken));
        return wait;
    }

    private static Command Cancel(GlobalOptions global, CliConsole console)
    {
        var id = JobId();
        var cancel = new Command("cancel", "Ask a queued or running job to stop.") { id };
        CommandRunner.Bind(cancel, global, console, async (run, cancellationToken) =>
        {
            var job = await run.Client.CancelJobAsync(run.Parse.GetValue(id), cancellationToken);
            run.Write(job, output => output.WriteLine($"Job {job.Text("id")}: {job.Text("status")} (cancel requested)."));
            return ExitCodes.Success;
        });
        return cancel;
    }

    private static Command Download(GlobalOptions global, CliConsole console)
    {
        var id = JobId();
        var artifact = new Option<string>("--artifact") { Description = "pruned.onnx, report.json, report.png or weights.safetensors.", DefaultValueFactory = _ => "pruned.onnx" };
        var outputFile = new Option<FileInfo?>("--output", "-o") { Description = "Where to write it (default: the artifact's name in the current folder)." };
        var download = new Command("download", "Download an artifact of a succeeded job.") { id, artifact, outputFile };
        CommandRunner.Bind(download, global, console, async (run, cancellationToken) =>
        {
            var name = run.Parse.GetValue(artifact)!;
            var path = run.Parse.GetValue(outputFile)?.FullName ?? Path.GetFullPath(name);
            var partial = path + ".part";
            long bytes;
            try
            {
                await using (var file = File.Create(partial))
                {
                    bytes = await run.Client.DownloadArtifactAsync(run.Parse.GetValue(id), name, file, cancellationToken);
                }
                File.Move(partial, path, overwrite: true);
            }
            finally
            {
                File.Delete(partial);
            }
            run.Write(JsonSerializer.SerializeToElement(new { path, bytes }),
                output => output.WriteLine($"Saved {name} to {path} ({bytes:N0} bytes)."));
            return ExitCodes.Success;
        });
        return download;
    }
}
