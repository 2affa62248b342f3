using Shears.Domain.Graph;

namespace Shears.Worker.Tests;

/// <summary>The TorchSharp graph computes what ONNX Runtime computes, on every fixture network.</summary>
public class GraphModuleParityTests
{
    public static TheoryData<string> Networks()
    {
        var data = new TheoryData<string>();
        foreach (var name in new[] { "tiny_mlp", "tiny_cnn", "lenet5", "mlp", "small_resnet", "small_resnet_opset11", "small_densenet",
            "small_densenet_opset17", "mobilenet_v2", "resnet18" })
            if (Fixtures.Exists(name))
                data.Add(name);
        return data;
    }

    /// <summary>Fashion-MNIST test images; networks that take 3×64×64 get them upscaled and repeated on three channels.</summary>
    [Theory]
    [MemberData(nameof(Networks))]
    public void Eval_outputs_match_onnx_runtime(string network)
    {
        var onnx = Fixtures.Network(network);
        var sampleShape = ModelInspector.Inspect(onnx).Inputs[0].Shape.Skip(1).Select(d => (int)d).ToArray();
        var batch = sampleShape.Aggregate(1, (a, d) => a * d) > 28 * 28 ? 8 : 64;
        var data = Fixtures.Resized(Fixtures.Test1k(batch), sampleShape);
        var input = data.Pixels().Select(v => v / 255f).ToArray();
        long[] shape = [batch, .. sampleShape.Select(d => (long)d)];

        var worst = Parity.MaxDifference(onnx, input, shape);
        Assert.True(worst < 1e-4, $"{network}: max |ORT − TorchSharp| = {worst}");
    }
}
