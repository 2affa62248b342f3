using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace Shears.Domain.Tests.Datasets;

/// <summary>
/// The label-free task networks tools/make_zoo.py writes (fixtures.json "taskNetworks") run in ONNX Runtime on
/// their own .npz datasets: every array feeds the graph input of its name with the recorded element type, and
/// the output has the recorded width and differs from sample to sample.
/// </summary>
public class TaskNetworksTests
{
    private static readonly JsonElement Networks = JsonDocument.Parse(File.ReadAllText(DatasetFiles.Fixture("fixtures.json")))
        .RootElement.GetProperty("taskNetworks");

    public static TheoryData<string, int> NetworksAndWidths() => new() { { "two_input_regression", 4 }, { "token_encoder", 16 } };

    [Theory]
    [MemberData(nameof(NetworksAndWidths))]
    public void Runs_on_its_dataset_in_onnx_runtime(string network, int outputWidth)
    {
        var facts = Networks.GetProperty(network);
        using var session = new InferenceSession(DatasetFiles.Fixture(facts.GetProperty("file").GetString()!));
        const int batch = 8;
        var inputs = NpzFeeds.FirstRows(DatasetFiles.Fixture(facts.GetProperty("dataset").GetString()!), batch);

        Assert.Equal(session.InputMetadata.Keys.Order(), inputs.Select(input => input.Name).Order());
        using var results = session.Run(inputs);
        var output = results.Single().AsTensor<float>();

        Assert.Equal(facts.GetProperty("outputs")[0].GetString(), results.Single().Name);
        Assert.Equal([batch, outputWidth], output.Dimensions.ToArray());
        Assert.All(output, value => Assert.True(float.IsFinite(value)));
        Assert.NotEqual(output[0, 0], output[1, 0]);
    }
}
