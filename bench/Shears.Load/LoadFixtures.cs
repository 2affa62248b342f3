using System.Text.Json.Nodes;
using Shears.Cli.Api;

namespace Shears.Load;

/// <summary>The tiny network and the 2k Fashion-MNIST subset every load job prunes, uploaded once.</summary>
internal sealed record LoadFixtures(string ModelId, string DatasetId)
{
    public static async Task<LoadFixtures> UploadAsync(ShearsClient client)
    {
        var model = await client.UploadModelAsync(Fixture("tiny_mlp.onnx"), "load-tiny-mlp", CancellationToken.None);
        var dataset = await client.UploadDatasetAsync(Fixture("fashion_train_2k-images-idx3-ubyte.gz"), Fixture("fashion_train_2k-labels-idx1-ubyte.gz"),
            "load-fashion-2k", CancellationToken.None);
        return new LoadFixtures(model.GetProperty("id").GetString()!, dataset.GetProperty("id").GetString()!);
    }

    /// <summary>A magnitude job to half the FLOPs with <paramref name="steps"/> fine-tuning steps.</summary>
    public JsonObject Job(int steps) => new()
    {
        ["modelId"] = ModelId,
        ["datasetId"] = DatasetId,
        ["method"] = "magnitude",
        ["target"] = new JsonObject { ["flops"] = 0.5 },
        ["options"] = new JsonObject { ["steps"] = steps, ["batchSize"] = 50 },
    };

    private static string Fixture(string name) => Path.Combine("tests", "fixtures", name);
}
