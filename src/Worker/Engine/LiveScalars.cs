using TorchSharp;

namespace Shears.Worker.Engine;

/// <summary>
/// Scalars that live as long as the process. <c>a + b</c> on tensors makes TorchSharp 0.107 create a temporary alpha
/// Scalar whose only use is its native handle, so the garbage collector may finalize it, and free it, while libtorch
/// still reads it: a rare run of the suite failed in a residual Add with "Expected false to be true" from
/// <c>Scalar::toFloat</c> (TorchSharp pull request 1434 is about the same temporaries). Hot paths pass these instead.
/// </summary>
internal static class LiveScalars
{
    public static readonly Scalar Zero = 0.ToScalar();
    public static readonly Scalar One = 1.ToScalar();
}
