namespace Shears.Domain.Datasets;

/// <summary>Refuses NaN and ±Inf inputs, naming the first sample that holds one; fed the values in order, whole or in chunks.</summary>
internal sealed class FiniteValues(string fileName, int sampleSize)
{
    private long _seen;

    public void Check(float[] values)
    {
        var bad = Array.FindIndex(values, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            throw new InvalidDatasetException(
                $"{fileName}: sample {(_seen + bad) / sampleSize} contains {values[bad]}; inputs must be finite numbers.");
        }
        _seen += values.Length;
    }
}
