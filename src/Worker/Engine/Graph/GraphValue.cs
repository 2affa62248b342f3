using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>
/// A value flowing through the graph: a tensor on the device, or a small integer array kept on the
/// host. Shape arithmetic (the Shape → Gather → Unsqueeze → Concat → Reshape chain that
/// <c>x.view(x.size(0), -1)</c> exports) stays on the host, so it costs no device round trip.
/// </summary>
internal readonly record struct GraphValue(Tensor? Tensor, HostInts? Ints)
{
    public static GraphValue Of(Tensor tensor) => new(tensor, null);

    public static GraphValue Of(HostInts ints) => new(null, ints);

    public bool IsHost => Ints is not null;

    /// <summary>The value as a device tensor (host integers become an int64 tensor).</summary>
    public Tensor AsTensor(Device device) =>
        Tensor ?? tensor(Ints!.Data, dtype: ScalarType.Int64, device: device).reshape(Ints.Shape);

    public HostInts AsInts() =>
        Ints ?? throw new NotSupportedException("A shape or index input is computed from data at run time; Shears needs it to follow from the input's shape.");
}

/// <summary>An int64 tensor held on the host: its values, row-major, and its shape.</summary>
internal sealed record HostInts(long[] Data, long[] Shape)
{
    public static HostInts Vector(long[] data) => new(data, [data.Length]);

    public static HostInts Scalar(long value) => new([value], []);

    /// <summary>
    /// True when the operands combine element by element on the host: one shape, or single values beside it. Other
    /// broadcasts (a [1, T] row against a [T, 1] column of positions) run as int64 tensors.
    /// </summary>
    public static bool Aligned(params HostInts[] operands)
    {
        var longest = operands.MaxBy(o => o.Data.Length)!;
        return operands.All(o => o.Data.Length == 1 && o.Shape.Length <= longest.Shape.Length || o.Shape.SequenceEqual(longest.Shape));
    }
}
