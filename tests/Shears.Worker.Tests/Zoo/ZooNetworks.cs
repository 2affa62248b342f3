using System.IO.Compression;
using System.Text.Json;
using Shears.Domain.Datasets;

namespace Shears.Worker.Tests.Zoo;

/// <summary>The zoo tools/make_zoo.py exports (tests/fixtures/zoo): each network's file, facts (zoo.json) and .npz data.</summary>
internal static class ZooNetworks
{
    private static readonly JsonElement Facts = JsonDocument.Parse(File.ReadAllText(Fixtures.PathOf("zoo/zoo.json"))).RootElement.GetProperty("networks");

    public static IEnumerable<string> Names => Facts.EnumerateObject().Select(n => n.Name);

    public static byte[] Network(string name) => File.ReadAllBytes(Fixtures.PathOf($"zoo/{name}.onnx"));

    /// <summary>
    /// The network's .npz samples as a dataset for one float input with class labels (the arrays "input" and
    /// "labels"); a network whose data is anything else cannot be read here.
    /// </summary>
    public static Dataset Data(string name)
    {
        using var archive = ZipFile.OpenRead(Fixtures.PathOf($"zoo/{name}.npz"));
        var input = Read(archive, "input");
        var labels = Read(archive, "labels").ToLongs();
        return new Dataset
        {
            Samples = input.Header.Shape[0],
            SampleShape = input.Header.Shape[1..],
            Inputs = input.ToFloats(),
            Labels = labels,
            NumClasses = (int)labels.Max() + 1,
            IsByteData = false,
        };
    }

    private static NumericArray Read(ZipArchive archive, string array)
    {
        var entry = archive.GetEntry($"{array}.npy") ?? throw new InvalidOperationException($"the zoo's .npz has no array '{array}'");
        using var stream = entry.Open();
        return NumericArrayFile.Read(stream, entry.Name, new DatasetLimits());
    }
}
