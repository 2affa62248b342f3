using System.Text.Json;
using Shears.Domain.Datasets;

namespace Shears.Worker.Tests.Zoo;

/// <summary>The zoo tools/make_zoo.py exports (tests/fixtures/zoo): each network's file, facts (zoo.json) and .npz data.</summary>
internal static class ZooNetworks
{
    private static readonly JsonElement Facts = JsonDocument.Parse(File.ReadAllText(Fixtures.PathOf("zoo/zoo.json"))).RootElement.GetProperty("networks");

    public static IEnumerable<string> Names => Facts.EnumerateObject().Select(n => n.Name);

    public static byte[] Network(string name) => File.ReadAllBytes(Fixtures.PathOf($"zoo/{name}.onnx"));

    /// <summary>The network's .npz samples as a dataset: its input arrays and, for classifiers, the array "labels".</summary>
    public static Dataset Data(string name)
    {
        using var stream = File.OpenRead(Fixtures.PathOf($"zoo/{name}.npz"));
        return DatasetReader.Read(stream, $"{name}.npz", null, null, new DatasetLimits());
    }
}
