namespace Shears.Domain.Onnx;

/// <summary>ONNX Slice's clamping of start and end on one axis: where the slice begins and how many elements it takes.</summary>
public static class SliceBounds
{
    public static (long First, long Count) Resolve(long dim, long start, long end, long step)
    {
        var first = Clamp(start < 0 && start > long.MinValue / 2 ? start + dim : start, 0, step > 0 ? dim : dim - 1);
        var last = Clamp(end < 0 && end > long.MinValue / 2 ? end + dim : end, step > 0 ? 0 : -1, step > 0 ? dim : dim - 1);
        return (first, Math.Max(0, step > 0 ? (last - first + step - 1) / step : (first - last - step - 1) / -step));
    }

    private static long Clamp(long value, long low, long high) => Math.Min(Math.Max(value, low), high);
}
