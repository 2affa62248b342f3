using TorchSharp;

namespace Shears.Worker.Engine;

/// <summary>
/// Scalars that live as long as the process. A number in a TorchSharp 0.107 tensor call, and the implicit alpha of
/// <c>a + b</c>, <c>add(…)</c> and <c>add_(…)</c>, becomes a temporary Scalar whose only use is its native handle, so the
/// garbage collector may finalize it, and free it, while libtorch still reads it: suite runs failed in a residual Add and
/// in an Adam step with "Expected false to be true" from <c>Scalar::toFloat</c> (TorchSharp pull request 1434 is about
/// the same temporaries). The engine passes these, Scalars captured by its kernels, or Scalars held in <c>using</c>
/// variables instead, and trains with <see cref="ScalarSafeAdam"/> and <see cref="ScalarSafeSgd"/>.
/// </summary>
internal static class LiveScalars
{
    public static readonly Scalar Zero = 0.ToScalar();
    public static readonly Scalar One = 1.ToScalar();
}
