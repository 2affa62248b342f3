namespace Shears.Domain.Onnx;

/// <summary>ONNX Range on integers: start, start + delta, … while short of limit (position ids 0..T−1 in a text export).</summary>
public static class RangeValues
{
    public static long Count(long start, long limit, long delta) =>
        delta == 0 ? throw new ArgumentException("Range's delta is 0.", nameof(delta)) : Math.Max(0, (limit - start + delta - Math.Sign(delta)) / delta);

    public static long[] Of(long start, long limit, long delta)
    {
        var values = new long[Count(start, limit, delta)];
        for (var i = 0; i < values.Length; i++)
            values[i] = start + (i * delta);
        return values;
    }
}
