using Shears.Worker.Engine;
using Shears.Worker.Engine.Training;

namespace Shears.Worker.Tests;

/// <summary>A job's plan when a phase runs several times: a levels job fine-tunes each of its sizes.</summary>
public class JobPlanTests
{
    [Fact]
    public void A_phase_run_once_per_level_counts_every_run_and_progress_never_goes_back()
    {
        var plan = new JobPlan();
        plan.Plan(TrainingPhase.FisherRounds, 100);
        plan.PlanRuns(TrainingPhase.FineTuning, runs: 3, stepsPerRun: 50);
        Assert.Equal(250, plan.StepsPlanned);

        var fractions = new List<double>();
        var jobSteps = 0;
        void Run(TrainingPhase phase, int steps)
        {
            plan.Start(phase, jobSteps);
            for (var step = 1; step <= steps; step++)
            {
                plan.Step(phase, step);
                fractions.Add(plan.StepFraction);
            }
            jobSteps += steps;
        }

        Run(TrainingPhase.FisherRounds, 100);
        foreach (var ran in new[] { 50, 30, 30 }) // the later levels stop early
        {
            plan.Plan(TrainingPhase.FineTuning, 50); // what FineTuning.Run plans for one run
            Run(TrainingPhase.FineTuning, ran);
            plan.Plan(TrainingPhase.FineTuning, ran);
        }

        Assert.Equal([new PhaseProgress("fisher-rounds", 100, 100), new PhaseProgress("fine-tuning", 110, 110)], plan.Phases);
        Assert.Equal(1, plan.StepFraction);
        Assert.True(fractions.Zip(fractions.Skip(1)).All(p => p.Second >= p.First), string.Join(" ", fractions.Select(f => f.ToString("F3"))));
    }
}
