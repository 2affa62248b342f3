using System.IO.Compression;
using Shears.Domain.Datasets;

namespace Shears.Worker.Tests;

/// <summary>Finds the committed fixtures (tests/fixtures) and reads the Fashion-MNIST IDX subsets.</summary>
internal static class Fixtures
{
    public static readonly string Directory = Locate();

    public static string PathOf(string file) => Path.Combine(Directory, file);

    public static byte[] Network(string name) => File.ReadAllBytes(PathOf($"{name}.onnx"));

    public static bool Exists(string name) => File.Exists(PathOf($"{name}.onnx"));

    /// <summary>The first <paramref name="count"/> samples of a gz IDX image/label pair as a byte dataset (no scaling).</summary>
    public static Dataset FashionMnist(string images, string labels, int count = int.MaxValue)
    {
        var pixels = ReadIdx(images, out var dims);
        var classes = ReadIdx(labels, out _);
        var samples = Math.Min(count, dims[0]);
        var size = dims[1] * dims[2];
        var inputs = new float[samples * size];
        for (var i = 0; i < inputs.Length; i++)
            inputs[i] = pixels[i];
        return new Dataset
        {
            Samples = samples,
            SampleShape = [dims[1], dims[2]],
            Inputs = inputs,
            Labels = [.. classes.Take(samples).Select(b => (long)b)],
            NumClasses = 10,
            IsByteData = true,
        };
    }

    public static Dataset Train2k(int count = 2000) =>
        FashionMnist(PathOf("fashion_train_2k-images-idx3-ubyte.gz"), PathOf("fashion_train_2k-labels-idx1-ubyte.gz"), count);

    public static Dataset Test1k(int count = 1000) =>
        FashionMnist(PathOf("fashion_test_1k-images-idx3-ubyte.gz"), PathOf("fashion_test_1k-labels-idx1-ubyte.gz"), count);

    /// <summary>
    /// The images as samples of <paramref name="sampleShape"/> ([channels, height, width]): upscaled by
    /// nearest neighbour and repeated on every channel; the dataset itself when the shapes agree.
    /// </summary>
    public static Dataset Resized(Dataset images, int[] sampleShape) => GrayscaleResizing.To(images, sampleShape);

    private static byte[] ReadIdx(string path, out int[] dims)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        var raw = memory.ToArray();
        var rank = raw[3];
        dims = new int[rank];
        for (var d = 0; d < rank; d++)
            dims[d] = (raw[4 + 4 * d] << 24) | (raw[5 + 4 * d] << 16) | (raw[6 + 4 * d] << 8) | raw[7 + 4 * d];
        return raw[(4 + 4 * rank)..];
    }

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures");
            if (System.IO.Directory.Exists(candidate))
                return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures not found above the test binaries.");
    }
}
