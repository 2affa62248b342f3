using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Shears.Domain.Datasets;
using Shears.Domain.Onnx;

namespace Shears.Domain.Tests.Datasets;

/// <summary>
/// The committed networks are what tools/make_fixtures.py says they are: ONNX Runtime reproduces the
/// accuracy PyTorch recorded in fixtures.json on the committed 1k test subset (read by the dataset
/// reader), and each graph has the opset, input shape and ops recorded for it.
/// </summary>
public class FixtureNetworksTests
{
    private static readonly JsonElement Networks = JsonDocument.Parse(File.ReadAllText(DatasetFiles.Fixture("fixtures.json")))
        .RootElement.GetProperty("networks");

    public static TheoryData<string> TrainedNetworks() =>
        [.. Networks.EnumerateObject().Where(n => n.Value.GetProperty("testAccuracy1k").ValueKind == JsonValueKind.Number).Select(n => n.Name)];

    public static TheoryData<string> AllNetworks() => [.. Networks.EnumerateObject().Select(n => n.Name)];

    [Theory]
    [MemberData(nameof(TrainedNetworks))]
    public void OnnxRuntime_reproduces_the_recorded_accuracy_on_the_1k_test_subset(string network)
    {
        using var images = File.OpenRead(DatasetFiles.Fixture("fashion_test_1k-images-idx3-ubyte.gz"));
        using var labels = File.OpenRead(DatasetFiles.Fixture("fashion_test_1k-labels-idx1-ubyte.gz"));
        var test = DatasetReader.Read(images, "images", labels, "labels", new DatasetLimits());
        using var session = new InferenceSession(DatasetFiles.Fixture($"{network}.onnx"));

        var correct = 0;
        const int batch = 250;
        for (var start = 0; start < test.Samples; start += batch)
        {
            var pixels = test.Arrays[0].Floats!.AsSpan(start * 784, batch * 784).ToArray().Select(p => p / 255f).ToArray();
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(pixels, [batch, 1, 28, 28]))]);
            var logits = results[0].AsTensor<float>();
            for (var i = 0; i < batch; i++)
            {
                var predicted = Enumerable.Range(0, 10).MaxBy(c => logits[i, c]);
                if (predicted == test.Labels![start + i]) correct++;
            }
        }

        var recorded = Networks.GetProperty(network).GetProperty("testAccuracy1k").GetDouble();
        Assert.Equal(recorded, correct / (double)test.Samples, 0.0015); // one image may flip on float rounding
    }

    [Theory]
    [MemberData(nameof(AllNetworks))]
    public void Every_network_has_its_recorded_opset_ops_and_input_shape_with_a_dynamic_batch_axis(string network)
    {
        var facts = Networks.GetProperty(network);
        var file = DatasetFiles.Fixture(facts.GetProperty("file").GetString()!);
        var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(file)); // the file as written (OnnxGraph unshares Identity-aliased weights)
        using var session = new InferenceSession(file);

        Assert.Equal(facts.GetProperty("opset").GetInt64(), model.OpsetImport.Single(o => o.Domain is "" or "ai.onnx").Version);
        Assert.Equal([-1, .. facts.GetProperty("inputShape").EnumerateArray().Select(d => d.GetInt32())], session.InputMetadata["input"].Dimensions);
        Assert.Equal(
            facts.GetProperty("ops").EnumerateArray().Select(op => op.GetString()).Order(),
            model.Graph.Node.Select(node => node.OpType).Distinct().Order());
    }

    [Fact]
    public void The_graphs_hold_what_their_tests_need()
    {
        Assert.Contains(Graph("tiny_cnn").Graph.Node, node => node.OpType == "BatchNormalization");
        Assert.Contains(Graph("small_densenet").Graph.Node, node => node.OpType == "BatchNormalization");
        Assert.Contains(Graph("small_densenet").Graph.Node, node => node.OpType == "Concat");
        Assert.Contains(Graph("small_resnet").Graph.Node, node => node.OpType == "Add");
        Assert.Contains(Graph("mobilenet_v2").Graph.Node, node => node.OpType == "Conv" && node.Attribute.Any(a => a.Name == "group" && a.I > 1));
        Assert.Contains(Graph("unsupported_op").Graph.Node, node => node.OpType == "TopK");
    }

    private static global::Onnx.ModelProto Graph(string network) => OnnxGraph.Parse(File.ReadAllBytes(DatasetFiles.Fixture($"{network}.onnx"))).Model;
}
