using Shears.Worker.Engine.Methods.L0;
namespace Shears.Worker.Engine.Training;

/// <summary>The phases of a job's training, as a checkpoint names them. A job runs one pruning phase (or none), then fine-tuning.</summary>
public enum TrainingPhase
{
    FisherRounds,
    L0Gates,
    FineTuning,
}

public static class TrainingPhases
{
    public static string Name(this TrainingPhase phase) => phase switch
    {
        TrainingPhase.FisherRounds => "fisher-rounds",
        TrainingPhase.L0Gates => "l0-gates",
        _ => "fine-tuning",
    };
}
