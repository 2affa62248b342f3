namespace Shears.Worker.Data;

/// <summary>Reads given rows of every graph input's source into one host batch.</summary>
public static class SampleReading
{
    /// <param name="augmentationFor">The generator for a row's augmentation, or null for none (evaluation).</param>
    public static HostBatch Read(IReadOnlyList<SampleColumn> columns, int[] rows, long[]? labels, Func<int, Random?> augmentationFor)
    {
        var inputs = new Array[columns.Count];
        for (var c = 0; c < columns.Count; c++)
        {
            var (source, size) = (columns[c].Source, columns[c].SampleSize);
            if (columns[c].IntegerType is null)
            {
                var values = new float[rows.Length * size];
                for (var i = 0; i < rows.Length; i++)
                    source.Read(rows[i], values.AsSpan(i * size, size), augmentationFor(rows[i]));
                inputs[c] = values;
            }
            else
            {
                var values = new long[rows.Length * size];
                for (var i = 0; i < rows.Length; i++)
                    source.ReadIntegers(rows[i], values.AsSpan(i * size, size));
                inputs[c] = values;
            }
        }
        return new HostBatch(inputs, labels is null ? null : [.. rows.Select(r => labels[r])], rows);
    }
}
