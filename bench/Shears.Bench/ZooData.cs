using Shears.Domain.Datasets;

namespace Shears.Bench;

/// <summary>A zoo network's .npz (its input arrays and, for classifiers, "labels") as a dataset.</summary>
internal static class ZooData
{
    public static Dataset Read(string npz)
    {
        using var stream = File.OpenRead(npz);
        return DatasetReader.Read(stream, Path.GetFileName(npz), null, null, new DatasetLimits());
    }

    /// <summary>The dataset with every integer (token) array repeated along its sequence to <paramref name="length"/> tokens.</summary>
    public static Dataset WithSequence(Dataset data, int length) => new()
    {
        Samples = data.Samples,
        Labels = data.Labels,
        NumClasses = data.NumClasses,
        Arrays = [.. data.Arrays.Select(a => a.Integers is { } ids ? DatasetArray.OfIntegers(a.Name, [length], RepeatTokens(ids, a.SampleShape[0], data.Samples, length), a.ElementType) : a)],
    };

    private static long[] RepeatTokens(long[] ids, int width, int rows, int length)
    {
        var values = new long[rows * length];
        for (var row = 0; row < rows; row++)
            for (var t = 0; t < length; t++)
                values[(row * length) + t] = ids[(row * width) + (t % width)];
        return values;
    }
}
