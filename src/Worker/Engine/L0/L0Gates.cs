using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.L0;

/// <summary>The log α of every group's hard-concrete gates, and how they are put on the network.</summary>
public sealed class L0Gates : IDisposable
{
    private readonly PruningSession session;
    private readonly HardConcrete gate;
    private readonly Parameter[] logAlphas;
    private readonly Generator generator;

    public L0Gates(PruningSession session, HardConcrete gate)
    {
        this.session = session;
        this.gate = gate;
        var device = session.Module.Device;
        generator = new Generator((ulong)session.Options.Seed + 7919, device);
        using var scope = NewDisposeScope();
        using var initialisation = new Generator((ulong)session.Options.Seed + 104729);
        logAlphas = [.. session.Groups.Select(g =>
        {
            var initial = HardConcrete.InitialLogAlpha(g.Channels, session.Options.DroprateInit, initialisation).to(device);
            var parameter = new Parameter(initial, requires_grad: true);
            parameter.DetachFromDisposeScope();
            return parameter;
        })];
    }

    public IEnumerable<Parameter> LogAlphas => logAlphas;

    /// <summary>One gate sample per group for this mini-batch, in the current dispose scope.</summary>
    public void Sample()
    {
        foreach (var group in session.Groups)
            session.Gates.Set(group.Id, gate.Sample(logAlphas[group.Id], generator), keep: false);
    }

    /// <summary>E[r_g] = Σ_k P(z_gk = 0): the expected number of removed channels per group, differentiable.</summary>
    public Tensor ExpectedRemoved() =>
        stack(session.Groups.Select(g => g.Channels - gate.OpenProbability(logAlphas[g.Id]).sum()));

    public void Clamp(double min, double max)
    {
        using var noGrad = no_grad();
        foreach (var logAlpha in logAlphas)
            logAlpha.clamp_(min, max);
    }

    public float[][] TestTimeGates()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return [.. logAlphas.Select(a => gate.TestTimeGate(a).cpu().data<float>().ToArray())];
    }

    /// <summary>The cost fraction of the network the test-time gates keep (closed gates removed, at least one channel per group).</summary>
    public double TestTimeCostFraction(ExpectedCost cost)
    {
        var z = TestTimeGates();
        return cost.At([.. session.Groups.Select(g => (double)Math.Min(z[g.Id].Count(v => v == 0f), g.Channels - 1))]) / cost.Full;
    }

    public float[][] LogAlphaValues()
    {
        using var scope = NewDisposeScope();
        return [.. logAlphas.Select(a => a.detach().cpu().data<float>().ToArray())];
    }

    /// <summary>Accuracy on the held-out split with the deterministic test-time gates ẑ.</summary>
    public double AccuracyWithTestTimeGates()
    {
        using var scope = NewDisposeScope();
        ApplyTestTimeGates(keep: false);
        return Evaluation.Accuracy(session.Module, session.Data);
    }

    /// <summary>Puts the deterministic test-time gates ẑ on the network.</summary>
    public void ApplyTestTimeGates(bool keep)
    {
        using var noGrad = no_grad();
        foreach (var group in session.Groups)
            session.Gates.Set(group.Id, gate.TestTimeGate(logAlphas[group.Id]), keep);
    }

    /// <summary>Sets log α directly (tests, resuming from a checkpoint).</summary>
    public void SetLogAlpha(int groupId, float[] values)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        logAlphas[groupId].copy_(tensor(values, device: logAlphas[groupId].device));
    }

    /// <summary>"conv1 12/20, fc1 300/500": channels whose test-time gate is open.</summary>
    public string DescribeOpen()
    {
        var z = TestTimeGates();
        return string.Join(", ", session.Groups.Select(g => $"{g.Name} {z[g.Id].Count(v => v > 0)}/{g.Channels}"));
    }

    /// <summary>Puts the 0/1 masks back in place of the sampled gates.</summary>
    public void RestoreMasks() => session.Masks.Reapply();

    public void Dispose()
    {
        RestoreMasks();
        foreach (var logAlpha in logAlphas)
            logAlpha.Dispose();
        generator.Dispose();
    }
}
