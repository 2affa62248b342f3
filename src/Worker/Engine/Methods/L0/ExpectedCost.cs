using Shears.Domain.Graph;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Methods.L0;

/// <summary>
/// A differentiable surrogate of the network's cost (parameters or FLOPs) as a function of how many
/// channels each group loses: cost(r) = c₀ + Σ b_g r_g + Σ q_g r_g² + Σ_{g&lt;h} c_gh r_g r_h.
/// Every Conv/Gemm cost is (in-channels × out-channels × const), so this quadratic is exact for
/// removals counted in whole channels; the coefficients come from the <see cref="CostModel"/> by
/// finite differences. Evaluated at the expected removals E[r_g] = Σ_k P(z_gk = 0) it is the
/// expected cost the L0 penalty and the target controller work on.
/// </summary>
public sealed class ExpectedCost : IDisposable
{
    private readonly double full;
    private readonly double[] linear;
    private readonly double[] square;
    private readonly double[,] cross;
    private (Tensor Linear, Tensor Quadratic)? onDevice;

    private ExpectedCost(double full, double[] linear, double[] square, double[,] cross)
    {
        this.full = full;
        this.linear = linear;
        this.square = square;
        this.cross = cross;
    }

    /// <summary>The unpruned cost c₀.</summary>
    public double Full => full;

    public static ExpectedCost Fit(IReadOnlyList<ChannelGroup> groups, Func<IReadOnlyDictionary<int, int>, long> cost)
    {
        var count = groups.Count;
        double Removing(params (int Group, int Channels)[] removals) =>
            cost(removals.ToDictionary(r => r.Group, r => groups[r.Group].Channels - r.Channels));

        var full = (double)cost(new Dictionary<int, int>());
        var linear = new double[count];
        var square = new double[count];
        for (var g = 0; g < count; g++)
        {
            if (groups[g].Channels < 2)
                continue;
            var one = Removing((g, 1)) - full;
            var two = groups[g].Channels >= 3 ? Removing((g, 2)) - full : 2 * one;
            square[g] = (two - 2 * one) / 2;
            linear[g] = one - square[g];
        }

        var cross = new double[count, count];
        for (var g = 0; g < count; g++)
            for (var h = g + 1; h < count; h++)
                if (groups[g].Channels >= 2 && groups[h].Channels >= 2)
                    cross[g, h] = Removing((g, 1), (h, 1)) - full - (linear[g] + square[g]) - (linear[h] + square[h]);
        return new ExpectedCost(full, linear, square, cross);
    }

    /// <summary>The surrogate at exact removals (for checking it against the cost model).</summary>
    public double At(IReadOnlyList<double> removed)
    {
        var total = full;
        for (var g = 0; g < linear.Length; g++)
        {
            total += linear[g] * removed[g] + square[g] * removed[g] * removed[g];
            for (var h = g + 1; h < linear.Length; h++)
                total += cross[g, h] * removed[g] * removed[h];
        }
        return total;
    }

    /// <summary>
    /// The surrogate as a fraction of the full cost, differentiable in the removals tensor [groups]:
    /// 1 + rᵀ(b + M r)/c₀ with M the cross terms plus the squares on its diagonal. The coefficients,
    /// divided by c₀, go to the device once; a step costs one addmv and one dot.
    /// </summary>
    public Tensor FractionAt(Tensor removed) => ChangeAt(removed).add_(LiveScalars.One, LiveScalars.One);

    /// <summary>The surrogate's change from the full cost, as a fraction of it (≤ 0): <see cref="FractionAt"/> − 1, one op less for a penalty.</summary>
    public Tensor ChangeAt(Tensor removed)
    {
        var (b, m) = onDevice ??= Coefficients(removed.device, removed.dtype);
        return addmv(b, m, removed, beta: 1, alpha: 1).dot(removed);
    }

    private (Tensor Linear, Tensor Quadratic) Coefficients(Device device, ScalarType type)
    {
        var count = linear.Length;
        var quadratic = new double[count, count];
        for (var g = 0; g < count; g++)
            for (var h = 0; h < count; h++)
                quadratic[g, h] = (g == h ? square[g] : cross[g, h]) / full;
        return (tensor(linear.Select(b => b / full).ToArray(), dtype: type, device: device).DetachFromDisposeScope(),
            tensor(quadratic, dtype: type, device: device).DetachFromDisposeScope());
    }

    public void Dispose()
    {
        if (onDevice is var (b, m))
        {
            b.Dispose();
            m.Dispose();
        }
    }
}
