using System.Text.Json;
using Shears.Cli.Api;
using Shears.Cli.Output;

namespace Shears.Cli.Tests;

/// <summary>The line beside the CLI's progress bar: the job's stage and its steps, the job's steps over all phases, the time left.</summary>
public class JobProgressTextTests
{
    private static JobEvent Progress(string json) => new(1, "progress", JsonDocument.Parse(json).RootElement);

    [Fact]
    public void A_progress_event_with_a_plan_shows_the_phase_its_steps_the_total_and_the_time_left()
    {
        var text = JobProgressView.Describe(Progress("""
            {"progress":0.87,"step":196,"totalSteps":208,"loss":0.5962,"flops":0.47,"params":0.47,"etaSeconds":8.4,"phase":"fine-tuning",
             "phases":[{"name":"fisher-rounds","stepsDone":190,"stepsPlanned":190},{"name":"fine-tuning","stepsDone":6,"stepsPlanned":18}],"stepSeconds":0.2}
            """));
        Assert.Equal("fine-tuning 6/18 · step 196/208 · about 9 s left · loss 0.596 · FLOPs 47 % · params 47 %", text);
    }

    [Fact]
    public void A_stage_without_steps_and_the_end_show_no_phase_steps_and_no_time_left()
    {
        Assert.Equal("measuring · step 0/258 · acc 85.0 % · FLOPs 100 % · params 100 %", JobProgressView.Describe(Progress("""
            {"progress":0.02,"step":0,"totalSteps":258,"accuracy":0.85,"flops":1,"params":1,"phase":"measuring",
             "phases":[{"name":"fisher-rounds","stepsDone":0,"stepsPlanned":240},{"name":"fine-tuning","stepsDone":0,"stepsPlanned":18}]}
            """)));
        Assert.StartsWith("done · step 208/208 · acc", JobProgressView.Describe(Progress("""
            {"progress":1,"step":208,"totalSteps":208,"accuracy":0.86,"etaSeconds":0,"phase":"done","phases":[]}
            """)), StringComparison.Ordinal);
    }
}
