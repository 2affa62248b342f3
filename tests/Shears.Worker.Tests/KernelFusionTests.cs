using Shears.Domain.Onnx;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Tests.Zoo;
using static TorchSharp.torch;

namespace Shears.Worker.Tests;

/// <summary>
/// Written-out LayerNorms and Erf-GELUs run as one LayerNormalization and one Gelu (KernelFusion): the zoo's exports are
/// recognised, and the fused module computes what the nodes as exported compute, forward and backward, which it runs
/// instead as soon as a multiplier sits on one of the nodes a fusion stands for. Their constants are Constant nodes or 0-D
/// initializers, as exporters write them: as one-element vectors they are trained parameters, and the nodes stay unfused.
/// </summary>
public class KernelFusionTests
{
    [Theory]
    [InlineData("vit")]
    [InlineData("bert")]
    public void The_zoo_transformers_written_out_layer_norms_and_gelus_are_recognised(string network)
    {
        var fusions = KernelFusion.Find(PruningEngine.ParseGraph(ZooNetworks.Network(network), ZooNetworks.Data(network)));

        Assert.Equal(5, fusions.Count(f => f.Node.OpType == "LayerNormalization"));
        Assert.Equal(2, fusions.Count(f => f.Node.OpType == "Gelu"));
        Assert.All(fusions.Where(f => f.Node.OpType == "LayerNormalization"), f => Assert.Equal(9, f.Replaced.Count));
    }

    [Fact]
    public void The_fused_module_matches_the_nodes_as_exported_forward_and_backward()
    {
        var (onnx, sqrt) = WrittenOut(b => value => b.Node("Constant", [], ("value", OnnxTensors.FromFloats("", [], [value]))));
        var graph = OnnxGraph.Parse(onnx);
        Assert.Equal(["LayerNormalization", "Gelu"], KernelFusion.Find(graph).Select(f => f.Node.OpType));
        using var module = new GraphModule(graph, CPU);
        using var input = randn(4, 5, 8);

        var (fused, fusedGradients) = OutputAndGradients(module, input);
        using var unit = ones(1);
        module.SetInputMultiplier(sqrt, unit);
        var (exported, exportedGradients) = OutputAndGradients(module, input);

        Assert.Equal(exported.Length, fused.Length);
        Assert.All(exported.Zip(fused), p => Assert.Equal(p.First, p.Second, 1e-5f));
        Assert.Equal(exportedGradients.Length, fusedGradients.Length);
        Assert.All(exportedGradients.Zip(fusedGradients), p => Assert.Equal(p.First, p.Second, 1e-4f));
    }

    /// <summary>One-element vectors as initializers are trained parameters (a [1] bias): the nodes stay as exported.</summary>
    [Fact]
    public void Constants_that_training_would_update_keep_the_nodes_as_exported() =>
        Assert.Empty(KernelFusion.Find(OnnxGraph.Parse(WrittenOut(b => value => b.Floats(value)).Onnx)));

    /// <summary>0-D initializers, as onnx-simplifier and PyTorch 2.x keep an epsilon or GELU's 0.5, are constants: they fuse.</summary>
    [Fact]
    public void Scalars_kept_as_initializers_are_constants_and_fuse() =>
        Assert.Equal(["LayerNormalization", "Gelu"], KernelFusion.Find(OnnxGraph.Parse(WrittenOut(b => b.Scalar).Onnx)).Select(f => f.Node.OpType));

    /// <summary>A LayerNorm and an exact GELU written out with operands in the orders exporters use or could (scale and bias first, Mul by 1/√2).</summary>
    private static (byte[] Onnx, string Sqrt) WrittenOut(Func<OnnxBuilder, Func<float, string>> constants)
    {
        var b = new OnnxBuilder([-1, 5, 8]);
        var constant = constants(b);
        var mean = b.Node("ReduceMean", [b.Input], ("axes", new long[] { -1 }));
        var centred = b.Node("Sub", [b.Input, mean]);
        var variance = b.Node("ReduceMean", [b.Node("Pow", [centred, constant(2f)])], ("axes", new long[] { -1 }));
        var sqrt = b.Node("Sqrt", [b.Node("Add", [variance, constant(1e-5f)])]);
        var x = b.Node("Add", [b.Weight(8), b.Node("Mul", [b.Weight(8), b.Node("Div", [centred, sqrt])])]);
        var hidden = b.Node("Add", [b.Node("MatMul", [x, b.Weight(8, 12)]), b.Weight(12)]);
        var erf = b.Node("Erf", [b.Node("Mul", [hidden, constant(0.70710678f)])]);
        x = b.Node("Mul", [constant(0.5f), b.Node("Mul", [b.Node("Add", [constant(1f), erf]), hidden])]);
        return (b.Build(b.Node("MatMul", [x, b.Weight(12, 3)])), sqrt);
    }

    private static (float[] Output, float[] Gradients) OutputAndGradients(GraphModule module, Tensor input)
    {
        using var scope = NewDisposeScope();
        module.train();
        module.zero_grad();
        var output = module.forward(input);
        output.square().sum().backward();
        return (output.data<float>().ToArray(), [.. module.Parameters.Values.SelectMany(p => p.grad!.data<float>().ToArray())]);
    }
}
