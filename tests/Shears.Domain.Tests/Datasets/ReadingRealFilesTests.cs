using Shears.Domain.Datasets;

namespace Shears.Domain.Tests.Datasets;

/// <summary>Good files: Debian's Fashion-MNIST and the committed fixtures, in every form the service accepts.</summary>
public class ReadingRealFilesTests
{
    private static readonly DatasetLimits Limits = new();

    private static Dataset ReadFiles(string inputsPath, string labelsPath)
    {
        using var inputs = File.OpenRead(inputsPath);
        using var labels = File.OpenRead(labelsPath);
        return DatasetReader.Read(inputs, Path.GetFileName(inputsPath), labels, Path.GetFileName(labelsPath), Limits);
    }

    private static Dataset ReadBytes(byte[] inputs, string inputsName, byte[] labels, string labelsName) =>
        DatasetReader.Read(new MemoryStream(inputs), inputsName, new MemoryStream(labels), labelsName, Limits);

    [Fact]
    public void Debian_Fashion_MNIST_test_set_reads_as_10000_byte_images_of_10_balanced_classes()
    {
        var data = ReadFiles(DatasetFiles.Debian("t10k-images-idx3-ubyte.gz"), DatasetFiles.Debian("t10k-labels-idx1-ubyte.gz"));

        Assert.Equal(10_000, data.Samples);
        Assert.Equal([28, 28], data.Arrays[0].SampleShape);
        Assert.Equal(10_000 * 784, data.Arrays[0].Floats!.Length);
        Assert.True(data.Arrays[0].IsByteData);
        Assert.Equal(10, data.NumClasses);
        Assert.All(data.Labels!.CountBy(label => label), pair => Assert.Equal(1000, pair.Value));
        Assert.InRange(data.Arrays[0].Floats!.Max(), 250f, 255f);
        Assert.Equal(0f, data.Arrays[0].Floats!.Min());
    }

    [Fact]
    public void Debian_Fashion_MNIST_training_set_reads_all_60000_samples()
    {
        var data = ReadFiles(DatasetFiles.Debian("train-images-idx3-ubyte.gz"), DatasetFiles.Debian("train-labels-idx1-ubyte.gz"));

        Assert.Equal(60_000, data.Samples);
        Assert.Equal(60_000, data.Labels!.Length);
        Assert.All(data.Labels!.CountBy(label => label), pair => Assert.Equal(6000, pair.Value));
    }

    [Fact]
    public void The_2k_fixture_is_the_first_2000_samples_of_the_Debian_training_set()
    {
        var subset = ReadFiles(DatasetFiles.Fixture("fashion_train_2k-images-idx3-ubyte.gz"), DatasetFiles.Fixture("fashion_train_2k-labels-idx1-ubyte.gz"));
        var full = ReadFiles(DatasetFiles.Debian("train-images-idx3-ubyte.gz"), DatasetFiles.Debian("train-labels-idx1-ubyte.gz"));

        Assert.Equal(2000, subset.Samples);
        Assert.Equal(full.Arrays[0].Floats!.AsSpan(0, 2000 * 784).ToArray(), subset.Arrays[0].Floats!);
        Assert.Equal(full.Labels!.AsSpan(0, 2000).ToArray(), subset.Labels!);
    }

    [Fact]
    public void The_npy_fixture_holds_the_first_100_test_images_scaled_to_0_1_as_float32()
    {
        var npy = ReadFiles(DatasetFiles.Fixture("fashion_test_100-inputs.npy"), DatasetFiles.Fixture("fashion_test_100-labels.npy"));
        var idx = ReadFiles(DatasetFiles.Fixture("fashion_test_1k-images-idx3-ubyte.gz"), DatasetFiles.Fixture("fashion_test_1k-labels-idx1-ubyte.gz"));

        Assert.Equal(100, npy.Samples);
        Assert.Equal([1, 28, 28], npy.Arrays[0].SampleShape);
        Assert.False(npy.Arrays[0].IsByteData);
        Assert.Equal(idx.Labels!.AsSpan(0, 100).ToArray(), npy.Labels!);
        for (var i = 0; i < npy.Arrays[0].Floats!.Length; i++) Assert.Equal(idx.Arrays[0].Floats![i] / 255f, npy.Arrays[0].Floats![i], 6);
    }

    [Fact]
    public void Gzip_is_recognised_by_its_magic_bytes_not_by_the_file_name()
    {
        var images = DatasetFiles.Fixture("fashion_test_1k-images-idx3-ubyte.gz");
        var labels = DatasetFiles.Fixture("fashion_test_1k-labels-idx1-ubyte.gz");
        var expected = ReadFiles(images, labels);

        var plainNamedGz = ReadBytes(DatasetFiles.Gunzip(images), "images.gz", DatasetFiles.Gunzip(labels), "labels.gz");
        var gzNamedPlain = ReadBytes(File.ReadAllBytes(images), "images.idx", File.ReadAllBytes(labels), "upload.bin");

        Assert.Equal(expected.Arrays[0].Floats!, plainNamedGz.Arrays[0].Floats!);
        Assert.Equal(expected.Labels!, plainNamedGz.Labels!);
        Assert.Equal(expected.Arrays[0].Floats!, gzNamedPlain.Arrays[0].Floats!);
        Assert.Equal(expected.Labels!, gzNamedPlain.Labels!);
    }

    [Fact]
    public void Gzipped_npy_reads_like_plain_npy()
    {
        var inputs = File.ReadAllBytes(DatasetFiles.Fixture("fashion_test_100-inputs.npy"));
        var labels = File.ReadAllBytes(DatasetFiles.Fixture("fashion_test_100-labels.npy"));

        var plain = ReadBytes(inputs, "x.npy", labels, "y.npy");
        var gzipped = ReadBytes(DatasetFiles.Gzip(inputs), "x.npy.gz", DatasetFiles.Gzip(labels), "y.npy.gz");

        Assert.Equal(plain.Arrays[0].Floats!, gzipped.Arrays[0].Floats!);
        Assert.Equal(plain.Labels!, gzipped.Labels!);
    }

    [Fact]
    public void Uploads_need_not_be_seekable()
    {
        using var inputs = new ForwardOnly(File.OpenRead(DatasetFiles.Fixture("fashion_test_1k-images-idx3-ubyte.gz")));
        using var labels = new ForwardOnly(File.OpenRead(DatasetFiles.Fixture("fashion_test_1k-labels-idx1-ubyte.gz")));

        var data = DatasetReader.Read(inputs, "images", labels, "labels", Limits);

        Assert.Equal(1000, data.Samples);
    }

    private sealed class ForwardOnly(Stream inner) : ForwardOnlyReadStream
    {
        public override int Read(Span<byte> buffer) => inner.Read(buffer[..Math.Min(buffer.Length, 7)]);

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
