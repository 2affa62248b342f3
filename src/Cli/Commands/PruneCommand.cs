using System.CommandLine;
using System.Text.Json.Nodes;
using Shears.Cli.Output;

namespace Shears.Cli.Commands;

/// <summary>
/// <c>shears prune --model ID --dataset ID --method M --target-flops F|--target-params F [--option k=v ...] [--wait]</c>; levels
/// as <c>--target-flops 0.5,0.25,0.1</c>, a budget as <c>--accuracy-drop 0.01</c> or <c>--agreement-drop 0.02</c> (<c>--by params</c>).
/// The service checks the combination (a 422 names what does not fit).
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
        var targetFlops = new Option<string?>("--target-flops") { Description = "Fraction of the FLOPs to keep (0 < F < 1), or levels: F1,F2,... (one network each)." };
        var targetParams = new Option<string?>("--target-params") { Description = "Fraction of the parameters to keep (0 < F < 1), or levels: F1,F2,... (one network each)." };
        var accuracyDrop = new Option<double?>("--accuracy-drop") { Description = "A budget: the smallest network whose held-out accuracy is at most D below the original's (0.01: one point)." };
        var agreementDrop = new Option<double?>("--agreement-drop") { Description = "A budget: the smallest network that agrees with the original within D (top-1 agreement of class outputs, relative error of others)." };
        var by = new Option<string?>("--by") { Description = "With a budget: the cost to make smallest (flops or params)." };
        by.AcceptOnlyFromAmong("flops", "params");
        foreach (var fractions in new[] { targetFlops, targetParams })
        {
            fractions.Validators.Add(result =>
            {
                if (TargetFractions.Problem(result.GetValueOrDefault<string?>()) is { } problem)
                {
                    result.AddError($"{fractions.Name}: {problem}");
                }
            });
        }
        var options = new Option<string[]>("--option") { Description = "A method option as key=value; repeat for more (e.g. --option epochs=2).", Arity = ArgumentArity.ZeroOrMore };
        options.Validators.Add(result =>
        {
            foreach (var problem in result.GetValueOrDefault<string[]>().Select(JobOptionsParser.Problem).OfType<string>())
            {
                result.AddError(problem);
            }
        });
        var wait = new Option<bool>("--wait") { Description = "Follow the job with a live progress bar; the exit code tells how it ended. Ctrl-C stops the following, not the job." };
        var prune = new Command("prune", "Start a pruning job.") { model, dataset, method, targetFlops, targetParams, accuracyDrop, agreementDrop, by, options, wait };

        CommandRunner.Bind(prune, global, console, async (run, cancellationToken) =>
        {
            var request = new JsonObject
            {
                ["modelId"] = run.Parse.GetValue(model),
                ["datasetId"] = run.Parse.GetValue(dataset),
                ["method"] = run.Parse.GetValue(method),
                ["target"] = new JsonObject
                {
                    ["flops"] = TargetFractions.Json(run.Parse.GetValue(targetFlops)),
                    ["params"] = TargetFractions.Json(run.Parse.GetValue(targetParams)),
                    ["accuracyDrop"] = run.Parse.GetValue(accuracyDrop),
                    ["agreementDrop"] = run.Parse.GetValue(agreementDrop),
                    ["by"] = run.Parse.GetValue(by),
                },
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
