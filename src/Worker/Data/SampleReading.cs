namespace Shears.Worker.Data;

/// <summary>Reads given rows of a source into one host batch.</summary>
public static class SampleReading
{
    /// <param name="augmentationFor">The generator for a row's augmentation, or null for none (evaluation).</param>
    public static HostBatch Read(ISampleSource source, int[] rows, long[]? labels, Func<int, Random?> augmentationFor)
    {
        var size = (int)source.SampleShape.Aggregate(1L, (a, b) => a * b);
        var inputs = new float[rows.Length * size];
        for (var i = 0; i < rows.Length; i++)
        {
            source.Read(rows[i], inputs.AsSpan(i * size, size), augmentationFor(rows[i]));
        }
        return new HostBatch(inputs, labels is null ? null : [.. rows.Select(r => labels[r])], rows);
    }
}
