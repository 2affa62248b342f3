namespace Shears.Domain.Onnx;

/// <summary>
/// The statically inferred shape of every tensor of a graph (negative for a symbolic dimension, normally the
/// batch: −k is k × the batch, where a Reshape folded k fixed elements into it, as attention folds heads) and the values of small integer tensors computed from shapes (Shape → Gather → Concat …).
/// </summary>
public sealed class TensorShapes(IReadOnlyDictionary<string, long[]> shapes, IReadOnlyDictionary<string, long[]> values, IReadOnlySet<string> int64Tensors)
{
    /// <summary>Marks a symbolic dimension inside <see cref="Values"/> (a Shape of the batch dimension).</summary>
    public const long SymbolicValue = long.MinValue;

    public IReadOnlyDictionary<string, long[]> All => shapes;

    /// <summary>Integer tensors whose values are known statically; <see cref="SymbolicValue"/> where they depend on the batch.</summary>
    public IReadOnlyDictionary<string, long[]> Values => values;

    public long[] this[string tensor] =>
        shapes.TryGetValue(tensor, out var shape) ? shape : throw new KeyNotFoundException($"No inferred shape for tensor '{tensor}'.");

    /// <summary>True when the tensor is int64 and its every value is known statically (no batch dependence).</summary>
    public bool IsStaticInt64(string tensor) =>
        int64Tensors.Contains(tensor) && values.TryGetValue(tensor, out var v) && !v.Contains(SymbolicValue);

    public bool TryGet(string tensor, out long[] shape) => shapes.TryGetValue(tensor, out shape!);

    /// <summary>Elements of a shape per example of the batch: a symbolic dimension −k counts k.</summary>
    public static long ElementsPerExample(IReadOnlyList<long> shape) => shape.Aggregate(1L, (a, d) => checked(a * (d < 0 ? -d : Math.Max(d, 1))));
}
