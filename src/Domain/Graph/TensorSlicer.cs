namespace Shears.Domain.Graph;

/// <summary>Index selection on dense row-major float tensors, one axis at a time.</summary>
public static class TensorSlicer
{
    /// <summary>Keeps only <paramref name="keep"/> indices (ascending) along <paramref name="axis"/>.</summary>
    public static (float[] Values, long[] Dims) Keep(float[] values, long[] dims, int axis, IReadOnlyList<int> keep)
    {
        var (outer, extent, inner) = Split(dims, axis);
        var result = new float[outer * keep.Count * inner];
        for (long o = 0; o < outer; o++)
            for (var k = 0; k < keep.Count; k++)
                Array.Copy(values, ((o * extent) + keep[k]) * inner, result, ((o * keep.Count) + k) * inner, inner);
        var newDims = dims.ToArray();
        newDims[axis] = keep.Count;
        return (result, newDims);
    }

    /// <summary>Sets the given indices along <paramref name="axis"/> to zero, in place.</summary>
    public static void Zero(float[] values, long[] dims, int axis, IEnumerable<int> indices)
    {
        var (outer, extent, inner) = Split(dims, axis);
        foreach (var index in indices)
            for (long o = 0; o < outer; o++)
                Array.Clear(values, (int)(((o * extent) + index) * inner), (int)inner);
    }

    private static (long Outer, long Extent, long Inner) Split(long[] dims, int axis) =>
        (dims.Take(axis).Aggregate(1L, (a, d) => a * d), dims[axis], dims.Skip(axis + 1).Aggregate(1L, (a, d) => a * d));
}
