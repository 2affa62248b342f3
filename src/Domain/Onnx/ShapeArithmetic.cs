using Onnx;
using Shears.Domain.Graph;

namespace Shears.Domain.Onnx;

/// <summary>
/// Evaluates the small integer tensors exporters compute shapes and pads with (F.pad exports
/// ConstantOfShape → Concat → Reshape → Slice → Transpose → Cast), on row-major value arrays.
/// </summary>
public static class ShapeArithmetic
{
    /// <summary>Reorders values of a tensor of <paramref name="shape"/> by <paramref name="perm"/>.</summary>
    public static long[] Transpose(long[] values, long[] shape, long[] perm)
    {
        var outShape = perm.Select(p => shape[p]).ToArray();
        var inStrides = Strides(shape);
        return Gather(outShape, index => index.Select((i, axis) => i * inStrides[perm[axis]]).Sum(), values);
    }

    /// <summary>Output extents and the (start, step) per axis of an ONNX Slice; also validates the inputs.</summary>
    public static (long[] Shape, long[] Starts, long[] Steps) Slice(NodeProto node, long[] shape, long[] starts, long[] ends, long[]? axes, long[]? steps)
    {
        axes ??= [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)];
        steps ??= [.. Enumerable.Repeat(1L, starts.Length)];
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length || steps.Any(s => s == 0))
            throw new InvalidModelException($"Slice '{node.DisplayName()}' has starts, ends, axes and steps of different lengths, or a zero step.");
        var outShape = shape.ToArray();
        var firsts = new long[shape.Length];
        var strides = Enumerable.Repeat(1L, shape.Length).ToArray();
        for (var i = 0; i < starts.Length; i++)
        {
            var axis = (int)ShapeInference.Axis(node, axes[i], shape.Length);
            var dim = shape[axis];
            if (dim < 0)
            {
                outShape[axis] = -1;
                continue;
            }
            (firsts[axis], outShape[axis]) = SliceBounds.Resolve(dim, starts[i], ends[i], steps[i]);
            strides[axis] = steps[i];
        }
        return (outShape, firsts, strides);
    }

    public static long[] SliceValues(long[] values, long[] shape, long[] outShape, long[] starts, long[] steps)
    {
        var inStrides = Strides(shape);
        return Gather(outShape, index => index.Select((i, axis) => (starts[axis] + (i * steps[axis])) * inStrides[axis]).Sum(), values);
    }

    private static long[] Strides(long[] shape)
    {
        var strides = new long[shape.Length];
        long stride = 1;
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= shape[i];
        }
        return strides;
    }

    /// <summary>result[flat(index)] = values[source(index)] for every index of <paramref name="shape"/>, in row-major order.</summary>
    private static long[] Gather(long[] shape, Func<long[], long> source, long[] values)
    {
        var count = shape.Aggregate(1L, (a, d) => a * d);
        var result = new long[count];
        var index = new long[shape.Length];
        for (long flat = 0; flat < count; flat++)
        {
            result[flat] = values[source(index)];
            for (var axis = shape.Length - 1; axis >= 0 && ++index[axis] == shape[axis]; axis--)
                index[axis] = 0;
        }
        return result;
    }

    /// <summary>Opset 18's pads for some axes only, as begin and end pads for every axis (the rest 0).</summary>
    public static long[] PadsOnAllAxes(long[] pads, long[] axes, int rank)
    {
        var full = new long[2 * rank];
        for (var i = 0; i < axes.Length; i++)
        {
            var axis = axes[i] < 0 ? axes[i] + rank : axes[i];
            full[axis] = pads[i];
            full[axis + rank] = pads[i + axes.Length];
        }
        return full;
    }
}
