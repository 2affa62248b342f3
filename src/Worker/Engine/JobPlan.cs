using Shears.Worker.Engine.Training;
namespace Shears.Worker.Engine;

/// <summary>
/// A job's plan: the training phases it runs with the steps planned and done in each, the stage it is in, and the time its
/// steps take on this worker. Progress, the total of steps and the ETA come from it: the ETA is the steps still planned
/// times the measured time of a step (of that phase once it has run steps here, else of any phase).
/// A phase's plan may be an estimate that the method refines as it goes (Fisher's rounds); a phase that ends
/// is held at the steps it took.
/// </summary>
public sealed class JobPlan
{
    private readonly List<PhaseProgress> phases = [];
    private readonly Dictionary<string, (double Seconds, int Steps)> timing = [];

    /// <summary>
    /// Phases that run more than once (a levels or budget job fine-tunes each size): the runs planned, the runs started, and
    /// the steps the finished runs took. Such a phase's steps done and planned count all its runs.
    /// </summary>
    private readonly Dictionary<string, (int Runs, int Started, int DoneBefore, int PerRun)> repeated = [];

    /// <summary>What the job is doing: <c>measuring</c>, a training phase's name, <c>pruning</c>, <c>finishing</c> or <c>done</c>.</summary>
    public string Stage { get; private set; } = "measuring";

    public IReadOnlyList<PhaseProgress> Phases => phases;

    public int StepsDone => phases.Sum(p => p.StepsDone);

    public int StepsPlanned => phases.Sum(p => p.StepsPlanned);

    /// <summary>
    /// Plans <paramref name="steps"/> for <paramref name="phase"/> (adds it, in order, or replaces an estimate); for a phase
    /// that runs several times (<see cref="PlanRuns"/>), the steps of its current run, the runs still to come planned at their
    /// most.
    /// </summary>
    public void Plan(TrainingPhase phase, int steps)
    {
        var index = phases.FindIndex(p => p.Name == phase.Name());
        if (repeated.TryGetValue(phase.Name(), out var runs))
            steps = runs.Started == 0 ? runs.Runs * runs.PerRun : runs.DoneBefore + steps + Math.Max(0, runs.Runs - runs.Started) * runs.PerRun;
        if (index < 0)
            phases.Add(new PhaseProgress(phase.Name(), 0, Math.Max(0, steps)));
        else
            phases[index] = phases[index] with { StepsPlanned = Math.Max(phases[index].StepsDone, steps) };
    }

    /// <summary><paramref name="phase"/> will run <paramref name="runs"/> times, each for at most <paramref name="stepsPerRun"/> steps.</summary>
    public void PlanRuns(TrainingPhase phase, int runs, int stepsPerRun)
    {
        var done = phases.FirstOrDefault(p => p.Name == phase.Name())?.StepsDone ?? 0;
        repeated[phase.Name()] = (runs, 0, done, stepsPerRun);
        Plan(phase, stepsPerRun);
    }

    /// <summary>A stage without training steps (<c>pruning</c>, <c>finishing</c>, <c>done</c>).</summary>
    public void Enter(string stage) => Stage = stage;

    /// <summary>
    /// <paramref name="phase"/> starts (or resumes) with <paramref name="jobStepsBefore"/> steps of the job done before it:
    /// the phases before it have ended, at the steps they took (all counted on the last of them when a resumed run did
    /// not see them).
    /// </summary>
    public void Start(TrainingPhase phase, int jobStepsBefore)
    {
        if (repeated.TryGetValue(phase.Name(), out var runs))
        {
            var done = phases.FirstOrDefault(p => p.Name == phase.Name())?.StepsDone ?? 0;
            repeated[phase.Name()] = runs with { Started = runs.Started + 1, DoneBefore = runs.Started == 0 ? runs.DoneBefore : done };
            Plan(phase, runs.PerRun);
        }
        else
            Plan(phase, phases.FirstOrDefault(p => p.Name == phase.Name())?.StepsPlanned ?? 0);
        Stage = phase.Name();
        var index = phases.FindIndex(p => p.Name == phase.Name());
        if (index < 0)
        {
            Plan(phase, 0);
            index = phases.Count - 1;
        }
        for (var i = 0; i < index; i++)
            phases[i] = phases[i] with { StepsPlanned = phases[i].StepsDone };
        // Earlier runs of a repeated phase are among the job's steps before this one.
        var missing = jobStepsBefore - phases.Take(index).Sum(p => p.StepsDone) - (repeated.TryGetValue(phase.Name(), out var now) ? now.DoneBefore : 0);
        if (missing > 0 && index > 0)
            phases[index - 1] = phases[index - 1] with { StepsDone = phases[index - 1].StepsDone + missing, StepsPlanned = phases[index - 1].StepsDone + missing };
    }

    /// <summary>
    /// Step <paramref name="step"/> (1-based, within the phase) of <paramref name="phase"/> runs: counted as done from now,
    /// since the phase reports at the end of its steps.
    /// </summary>
    public void Step(TrainingPhase phase, int step)
    {
        var index = phases.FindIndex(p => p.Name == phase.Name());
        var done = (repeated.TryGetValue(phase.Name(), out var runs) ? runs.DoneBefore : 0) + step;
        phases[index] = phases[index] with { StepsDone = done, StepsPlanned = Math.Max(phases[index].StepsPlanned, done) };
    }

    /// <summary>A step of <paramref name="phase"/> took <paramref name="seconds"/> on this worker.</summary>
    public void Took(TrainingPhase phase, double seconds)
    {
        var (total, count) = timing.GetValueOrDefault(phase.Name());
        timing[phase.Name()] = (total + seconds, count + 1);
    }

    /// <summary>Steps done as a share of steps planned (1 when nothing is planned).</summary>
    public double StepFraction => StepsPlanned == 0 ? (Stage == "done" ? 1 : 0) : (double)StepsDone / StepsPlanned;

    /// <summary>Measured seconds per step over every phase run here; null before the first step.</summary>
    public double? SecondsPerStep
    {
        get
        {
            var steps = timing.Values.Sum(t => t.Steps);
            return steps == 0 ? null : timing.Values.Sum(t => t.Seconds) / steps;
        }
    }

    /// <summary>Seconds still to go by the plan and the measured step times; null before the first step.</summary>
    public double? EtaSeconds
    {
        get
        {
            if (SecondsPerStep is not { } overall)
                return null;
            return phases.Sum(p => (p.StepsPlanned - p.StepsDone) * (timing.TryGetValue(p.Name, out var t) ? t.Seconds / t.Steps : overall));
        }
    }
}

/// <summary>One training phase of a job's plan: its name (as a checkpoint names it) and its steps done and planned.</summary>
public sealed record PhaseProgress(string Name, int StepsDone, int StepsPlanned);
