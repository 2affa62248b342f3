using System.IO.Compression;
using Onnx;
using Shears.Domain.Datasets;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine;

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
        return Dataset.OfOneArray(inputs, [dims[1], dims[2]], [.. classes.Take(samples).Select(b => (long)b)], 10, isByteData: true);
    }

    /// <summary>The one float input of a network taking <paramref name="shape"/> (the fixture networks' is [N, 1, 28, 28]).</summary>
    public static GraphTensor[] FloatInput(params long[] shape) => [new GraphTensor("input", TensorProto.Types.DataType.Float, shape)];

    /// <summary>The raw pixel values of a one-array dataset.</summary>
    public static float[] Pixels(this Dataset dataset) => dataset.Arrays[0].Floats!;

    /// <summary>The first <paramref name="count"/> held-out samples of a one-float-input network's data, and their shape.</summary>
    public static float[] ValidationFloats(this TrainingData data, int count, out long[] shape)
    {
        var input = data.ValidationInputs(count)[0];
        shape = input.Shape;
        return (float[])input.Values;
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
