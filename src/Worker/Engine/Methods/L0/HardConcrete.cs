using TorchSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Methods.L0;

/// <summary>
/// The hard-concrete distribution of Louizos, Welling &amp; Kingma (2018, arXiv 1712.01312), eq. 10–13:
/// a binary-concrete variable stretched to (γ, ζ) and clipped to [0, 1], so a gate is exactly 0 or 1
/// with non-zero probability while staying differentiable in log α.
/// </summary>
public sealed class HardConcrete(double temperature = 2.0 / 3.0, double gamma = -0.1, double zeta = 1.1)
{
    /// <summary>u is drawn from U(ε, 1−ε) so that ln u and ln(1−u) stay finite.</summary>
    public const double Epsilon = 1e-6;

    public double Temperature { get; } = temperature;
    public double Gamma { get; } = gamma;
    public double Zeta { get; } = zeta;

    // The constants as Scalars that live as long as the distribution (see LiveScalars): a number in a tensor expression
    // becomes a temporary Scalar that the garbage collector may free while libtorch still reads it.
    private readonly Scalar inverseTemperature = (1 / temperature).ToScalar();
    private readonly Scalar temperatureScalar = temperature.ToScalar();
    private readonly Scalar stretch = (zeta - gamma).ToScalar();
    private readonly Scalar shift = gamma.ToScalar();
    private readonly Scalar closedLogOdds = (temperature * Math.Log(-gamma / zeta)).ToScalar();
    private readonly Scalar closedBelow = Math.Log(-gamma / zeta).ToScalar();

    /// <summary>log α ~ N(ln(1−p) − ln p, 0.01²): every gate starts open with probability about 1−p.</summary>
    public static Tensor InitialLogAlpha(long count, double droprate, Generator? generator = null)
    {
        var mean = Math.Log(1 - droprate) - Math.Log(droprate);
        return normal(mean, 0.01, [count], generator: generator);
    }

    /// <summary>One reparameterised sample z = min(1, max(0, σ((ln u − ln(1−u) + log α)/β)(ζ−γ)+γ)).</summary>
    public Tensor Sample(Tensor logAlpha, Generator? generator = null) => Sample(logAlpha, Noise(logAlpha.shape, logAlpha.device, generator));

    /// <summary>
    /// The sample for given noise (ln u − ln(1−u))/β from <see cref="Noise"/>: a few ops, in the caller's
    /// dispose scope, so a training step can draw the noise of many steps at once.
    /// </summary>
    public Tensor Sample(Tensor logAlpha, Tensor noise) =>
        Stretch(sigmoid(noise.add(logAlpha, alpha: inverseTemperature)));

    /// <summary>(ln u − ln(1−u))/β with u ~ U(ε, 1−ε), the logistic noise of <see cref="Sample(Tensor, Tensor)"/>.</summary>
    public Tensor Noise(long[] shape, Device device, Generator? generator = null) =>
        empty(shape, device: device).uniform_(Epsilon, 1 - Epsilon, generator).logit_().div_(temperatureScalar);

    /// <summary>The test-time gate ẑ = min(1, max(0, σ(log α)(ζ−γ)+γ)).</summary>
    public Tensor TestTimeGate(Tensor logAlpha)
    {
        using var scope = NewDisposeScope();
        return Stretch(sigmoid(logAlpha)).MoveToOuterDisposeScope();
    }

    /// <summary>P(z ≠ 0) = σ(log α − β·ln(−γ/ζ)): the expected-L0 contribution of each gate (eq. 12).</summary>
    public Tensor OpenProbability(Tensor logAlpha) => sigmoid(logAlpha.sub(closedLogOdds));

    /// <summary>P(z = 0) = 1 − P(z ≠ 0) = σ(β·ln(−γ/ζ) − log α), per gate and differentiable.</summary>
    public Tensor ClosedProbability(Tensor logAlpha) => sigmoid(logAlpha.neg().add_(closedLogOdds, LiveScalars.One));

    /// <summary>P(z = 0) in closed form: the binary-concrete CDF at the point the stretch maps to 0.</summary>
    public double ClosedProbability(double logAlpha)
    {
        var zeroAt = -Gamma / (Zeta - Gamma);
        return Sigmoid(Temperature * Math.Log(zeroAt / (1 - zeroAt)) - logAlpha);
    }

    /// <summary>log α below this gives ẑ = 0: σ(log α)(ζ−γ)+γ ≤ 0.</summary>
    public double ClosedBelowLogAlpha => Math.Log(-Gamma / Zeta);

    /// <summary>Which gates the test-time gate closes (log α ≤ <see cref="ClosedBelowLogAlpha"/>), as a boolean tensor.</summary>
    public Tensor ClosedAtTestTime(Tensor logAlpha) => logAlpha.le(closedBelow);

    private Tensor Stretch(Tensor s) => s.mul(stretch).add_(shift, LiveScalars.One).clamp(LiveScalars.Zero, LiveScalars.One);

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
