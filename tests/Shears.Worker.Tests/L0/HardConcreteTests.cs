using Shears.Worker.Engine.Methods.L0;
using static TorchSharp.torch;

namespace Shears.Worker.Tests.L0;

public class HardConcreteTests
{
    private readonly HardConcrete _gate = new();

    [Theory]
    // σ(log α − (2/3)·ln(0.1/1.1)), worked out by hand: (2/3)·ln(1/11) = −1.598559
    [InlineData(0.0, 0.831822)]
    [InlineData(-2.0, 0.400975)]
    [InlineData(2.0, 0.973367)]
    public void Expected_L0_is_the_open_probability_of_the_paper(double logAlpha, double expected)
    {
        using var a = tensor(new[] { (float)logAlpha });
        Assert.Equal(expected, _gate.OpenProbability(a).item<float>(), 5);
    }

    [Theory]
    // min(1, max(0, σ(log α)·1.2 − 0.1))
    [InlineData(0.0, 0.5)]
    [InlineData(1.0, 0.777270)]
    [InlineData(3.0, 1.0)]
    [InlineData(-3.0, 0.0)]
    [InlineData(-2.3, 0.009348)]
    public void Test_time_gate_is_the_clipped_stretched_sigmoid(double logAlpha, double expected)
    {
        using var a = tensor(new[] { (float)logAlpha });
        Assert.Equal(expected, _gate.TestTimeGate(a).item<float>(), 5);
    }

    [Fact]
    public void Test_time_gate_closes_exactly_below_ln_one_eleventh()
    {
        Assert.Equal(Math.Log(1.0 / 11), _gate.ClosedBelowLogAlpha, 12);
        using var a = tensor(new[] { (float)(_gate.ClosedBelowLogAlpha - 1e-3), (float)(_gate.ClosedBelowLogAlpha + 1e-2) });
        var z = _gate.TestTimeGate(a).data<float>().ToArray();
        Assert.Equal(0f, z[0]);
        Assert.True(z[1] > 0f);
    }

    [Theory]
    [InlineData(-2.0)]
    [InlineData(0.0)]
    [InlineData(1.5)]
    public void Samples_match_the_closed_form_distribution(double logAlpha)
    {
        const int n = 400_000;
        using var generator = new Generator(7);
        using var a = full(n, (float)logAlpha);
        using var z = _gate.Sample(a, generator);

        var zeros = (z == 0).to_type(ScalarType.Float64).mean().item<double>();
        var ones = (z == 1).to_type(ScalarType.Float64).mean().item<double>();
        var mean = z.to_type(ScalarType.Float64).mean().item<double>();

        // 4 standard errors of a Bernoulli proportion / of a [0,1] mean at n samples
        var tolerance = 4 * Math.Sqrt(0.25 / n);
        Assert.InRange(zeros, _gate.ClosedProbability(logAlpha) - tolerance, _gate.ClosedProbability(logAlpha) + tolerance);
        Assert.InRange(ones, OpenFullyProbability(logAlpha) - tolerance, OpenFullyProbability(logAlpha) + tolerance);
        Assert.InRange(mean, ExpectedGate(logAlpha) - tolerance, ExpectedGate(logAlpha) + tolerance);
        Assert.Equal(1 - _gate.ClosedProbability(logAlpha), _gate.OpenProbability(tensor(new[] { (float)logAlpha })).item<float>(), 5);
    }

    [Fact]
    public void Initial_log_alpha_centres_on_the_droprate()
    {
        using var generator = new Generator(3);
        using var a = HardConcrete.InitialLogAlpha(10_000, droprate: 0.3, generator);
        Assert.Equal(Math.Log(0.7 / 0.3), a.mean().item<float>(), 3);
        Assert.Equal(0.01, a.std().item<float>(), 3);
    }

    /// <summary>P(z = 1) = 1 − Q(s*) where s* = (1−γ)/(ζ−γ) and Q(s) = σ(β·logit(s) − log α) is the binary-concrete CDF.</summary>
    private double OpenFullyProbability(double logAlpha)
    {
        var oneAt = (1 - _gate.Gamma) / (_gate.Zeta - _gate.Gamma);
        return 1 - Sigmoid(_gate.Temperature * Math.Log(oneAt / (1 - oneAt)) - logAlpha);
    }

    /// <summary>E[z] = ∫₀¹ z(u) du with z(u) the gate as a function of its uniform noise (midpoint rule).</summary>
    private double ExpectedGate(double logAlpha)
    {
        const int steps = 200_000;
        var sum = 0.0;
        for (var i = 0; i < steps; i++)
        {
            var u = (i + 0.5) / steps;
            var s = Sigmoid((Math.Log(u) - Math.Log(1 - u) + logAlpha) / _gate.Temperature);
            sum += Math.Clamp(s * (_gate.Zeta - _gate.Gamma) + _gate.Gamma, 0, 1);
        }
        return sum / steps;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
