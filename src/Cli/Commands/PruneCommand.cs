using System.CommandLine;
using System.Text.Json.Nodes;
using Shears.Cli.Output;

namespace Shears.Cli.Commands;

/// <summary>
/// <c>shears prune --model ID --dataset ID --method M --target-flops F|--target-params F [--option k=v ...] [--wait]</c>.
/// With <c>--wait</c> the exit code is the job's: 0 succeeded, <see cref="ExitCodes.JobFailed"/>, <see cref="ExitCodes.JobCancelled"/>.
/// </summary>
public static class PruneCommand
{
    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var model = new Option<Guid>("--model") { Description = "Id of the model to prune.", Required = true };
        var dataset = new Option<Guid>("--dataset") { Description = "Id of the dataset to score and fine-tune on.", Required = true };
        var method = new Option<string>("--method") { Description = "Pruning method.", DefaultValueFactory = _ => "fisher" };
        method.AcceptOnlyFromAmong("fisher", "l0", "magnitude");
        var targetFlops = new Option<double?>("--target-flops") { Description = "Fraction of the FLOPs to keep (0 < F < 1)." };
        var targetParams = new Option<double?>("--target-params") { Description = "Fraction of the parameters to keep (0 < F < 1)." };
        var options = new Option<string[]>("--option") { Description = "A method option as key=value; repeat for more (e.g. --option epochs=2).", Arity = ArgumentArity.ZeroOrMore };
        options.Validators.Add(result =>
        {
            foreach (var problem in result.GetValueOrDefault<string[]>().Select(JobOptionsParser.Problem).OfType<string>())
            {
                result.AddError(problem);
            }
        });
        var wait = new Option<bool>("--wait") { Description = "Follow the job with a live progress bar; the exit code tells how it ended. Ctrl-C stops the following, not the job." };
        var prune = new Command("prune", "Start a pruning job.") { model, dataset, method, targetFlops, targetParams, options, wait };

        CommandRunner.Bind(prune, global, console, async (run, cancellationToken) =>
        {
            var request = new JsonObject
            {
                ["modelId"] = run.Parse.GetValue(model),
                ["datasetId"] = run.Parse.GetValue(dataset),
                ["method"] = run.Parse.GetValue(method),
                ["target"] = new JsonObject { ["flops"] = run.Parse.GetValue(targetFlops), ["params"] = run.Parse.GetValue(targetParams) },
                ["options"] = JobOptionsParser.Parse(run.Parse.GetValue(options) ?? []),
            };
            var job = await run.Client.CreateJobAsync(request, cancellationToken);
            var jobId = job.GetProperty("id").GetGuid();
            if (!run.Parse.GetValue(wait))
            {
                run.Write(job, output => output.WriteLine($"Job {jobId} {job.Text("status")}."));
                return ExitCodes.Success;
            }
            if (!run.Json)
            {
                await run.Console.Error.WriteLineAsync($"Job {jobId} {job.Text("status")}; following its progress.");
            }
            return await JobFollowing.FollowAsync(run, jobId, cancellationToken);
        });
        return prune;
    }
}
