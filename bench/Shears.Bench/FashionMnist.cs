using Shears.Domain.Datasets;

namespace Shears.Bench;

/// <summary>The full Fashion-MNIST splits from Debian's dataset-fashion-mnist, read with the service's own reader.</summary>
internal static class FashionMnist
{
    private const string Folder = "/usr/share/datasets/fashion-mnist";

    public static Dataset Train() => Read("train");

    public static Dataset Test() => Read("t10k");

    private static Dataset Read(string split)
    {
        var images = Path.Combine(Folder, $"{split}-images-idx3-ubyte.gz");
        var labels = Path.Combine(Folder, $"{split}-labels-idx1-ubyte.gz");
        using var inputs = File.OpenRead(images);
        using var classes = File.OpenRead(labels);
        return DatasetReader.Read(inputs, images, classes, labels, new DatasetLimits());
    }
}
