using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace Shears.Domain.Tests.Datasets;

/// <summary>
/// Every zoo network tools/make_zoo.py committed (tests/fixtures/zoo/zoo.json) is a valid ONNX file under 1 MB that
/// ONNX Runtime runs on its own .npz (arrays named like the graph's inputs) with a dynamic batch axis, giving one
/// finite output per recorded output name; what Shears does with each is ZooPruningTests' and docs/zoo.md's business.
/// </summary>
public class ZooFilesTests
{
    private static readonly JsonElement Networks = JsonDocument.Parse(File.ReadAllText(DatasetFiles.Fixture("zoo/zoo.json")))
        .RootElement.GetProperty("networks");

    public static TheoryData<string> Names() => [.. Networks.EnumerateObject().Select(n => n.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void Runs_on_its_dataset_in_onnx_runtime(string network)
    {
        var facts = Networks.GetProperty(network);
        var file = DatasetFiles.Fixture($"zoo/{facts.GetProperty("file").GetString()}");
        Assert.True(new FileInfo(file).Length < 1_000_000, $"{network} is {new FileInfo(file).Length:N0} bytes");
        using var session = new InferenceSession(file);
        const int batch = 3; // the exports traced batch 2
        var inputs = NpzFeeds.FirstRows(DatasetFiles.Fixture($"zoo/{facts.GetProperty("dataset").GetString()}"), batch);

        Assert.Equal(facts.GetProperty("inputs").EnumerateObject().Select(i => i.Name).Order(), inputs.Select(i => i.Name).Order());
        Assert.All(session.InputMetadata.Values, input => Assert.Equal(-1, input.Dimensions[0]));
        using var results = session.Run(inputs);

        Assert.Equal(facts.GetProperty("outputs").EnumerateArray().Select(o => o.GetString()), results.Select(r => r.Name));
        Assert.All(results.Select(r => r.AsTensor<float>()), output =>
        {
            Assert.Equal(batch, output.Dimensions[0]);
            Assert.All(output, value => Assert.True(float.IsFinite(value)));
        });
    }
}
