namespace Shears.Domain.Datasets;

/// <summary>
/// A labelled classification dataset held in memory: <see cref="Samples"/> rows of
/// <see cref="SampleShape"/> values each, stored row-major in <see cref="Inputs"/> as read from the
/// file (no scaling applied; <see cref="IsByteData"/> tells the engine to default to x/255).
/// </summary>
public sealed class Dataset
{
    public required int Samples { get; init; }
    public required int[] SampleShape { get; init; }
    public required float[] Inputs { get; init; }
    public required long[] Labels { get; init; }
    public required int NumClasses { get; init; }
    public required bool IsByteData { get; init; }

    public int SampleSize => SampleShape.Aggregate(1, (a, b) => a * b);
}
