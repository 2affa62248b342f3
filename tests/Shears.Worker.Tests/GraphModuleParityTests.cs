namespace Shears.Worker.Tests;

/// <summary>The TorchSharp graph computes what ONNX Runtime computes, on every fixture network.</summary>
public class GraphModuleParityTests
{
    public static TheoryData<string> Networks()
    {
        var data = new TheoryData<string>();
        foreach (var name in new[] { "tiny_mlp", "tiny_cnn", "lenet5", "mlp" })
            if (Fixtures.Exists(name))
                data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Eval_outputs_match_onnx_runtime(string network)
    {
        var onnx = Fixtures.Network(network);
        var data = Fixtures.Test1k(64);
        var input = data.Inputs.Select(v => v / 255f).ToArray();
        long[] shape = [64, 1, 28, 28];

        var worst = Parity.MaxDifference(onnx, input, shape);
        Assert.True(worst < 1e-4, $"{network}: max |ORT − TorchSharp| = {worst}");
    }
}
