namespace Shears.Domain.Datasets;

/// <summary>
/// A dataset held in memory: <see cref="Samples"/> rows of one or more named arrays (a network's inputs: images, side
/// vectors, token ids, masks), and optionally a class label per row. Values are as read from the files (no scaling).
/// </summary>
public sealed class Dataset
{
    public required int Samples { get; init; }

    /// <summary>The input arrays, in the order they were stored; each has <see cref="Samples"/> rows.</summary>
    public required IReadOnlyList<DatasetArray> Arrays { get; init; }

    /// <summary>Class indices per row, or null for an unlabeled dataset.</summary>
    public long[]? Labels { get; init; }

    /// <summary>Largest label + 1; 0 without labels.</summary>
    public int NumClasses { get; init; }

    /// <summary>One unnamed float or byte input array (an IDX or .npy upload), e.g. images.</summary>
    public static Dataset OfOneArray(float[] inputs, int[] sampleShape, long[]? labels, int numClasses, bool isByteData) => new()
    {
        Samples = inputs.Length / Math.Max(1, sampleShape.Aggregate(1, (a, b) => a * b)),
        Arrays = [DatasetArray.OfFloats(DatasetArray.SingleName, sampleShape, inputs, isByteData ? ElementType.UInt8 : ElementType.Float32)],
        Labels = labels,
        NumClasses = numClasses,
    };

    /// <summary>The dataset's arrays as upload inspection describes them.</summary>
    public DatasetDescription Describe() => new(Samples, [.. Arrays.Select(a => a.Describe())], NumClasses, Labels is not null);
}
