using Shears.Domain.Jobs;

namespace Shears.Worker.Engine.Training;

/// <summary>
/// The learning rate of each fine-tuning step, from the job's <c>schedule</c>, <c>fineTuningLearningRate</c> and
/// <c>learningRate</c>. A job that gives none of them nor a length gets the default recovery: from
/// <see cref="DefaultStartFactor"/> × <c>learningRate</c> down to zero along a half cosine over the fine-tuning's upper
/// bound. Measured on the small ResNet pruned by magnitude to half its FLOPs (60,000 images, docs/defaults-bench.md):
/// 1e-3 held constant was still rising slowly at the 3,000-step bound; from 3e-3 with the decay it was ahead from the first
/// measurement. The rate is a function of the step alone, so a resumed run continues on the same curve.
/// </summary>
public sealed record FineTuningRate(double Initial, bool Cosine)
{
    /// <summary>The default start over <c>learningRate</c>, the rate pruning rounds and gate training keep.</summary>
    public const double DefaultStartFactor = 3;

    /// <summary>The rate for <paramref name="options"/>; <paramref name="lengthOpen"/>: the job gave no steps or epochs.</summary>
    public static FineTuningRate For(PruningOptions options, bool lengthOpen)
    {
        var recovery = lengthOpen && options.Schedule is null;
        var initial = options.FineTuningLearningRate ?? (recovery ? DefaultStartFactor * options.LearningRate : options.LearningRate);
        return new(initial, (options.Schedule ?? (lengthOpen ? "cosine" : "constant")) == "cosine");
    }

    /// <summary>The rate of step <paramref name="step"/> (1-based) of at most <paramref name="steps"/>.</summary>
    public double At(int step, int steps) => Cosine ? CosineRate(Initial, step, steps) : Initial;

    /// <summary>The rate of step <paramref name="step"/> (1-based) of <paramref name="steps"/>: <paramref name="initial"/> at the first, near zero at the last.</summary>
    public static double CosineRate(double initial, int step, int steps) => initial * 0.5 * (1 + Math.Cos(Math.PI * (step - 1) / steps));

    public override string ToString() => Cosine ? $"from {Initial:G3} down to zero along a half cosine" : $"{Initial:G3}";
}
