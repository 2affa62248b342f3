using Shears.Domain.Datasets.Images;
using Shears.Domain.Jobs;
using Shears.Testing;
using Shears.Worker.Data;
using SkiaSharp;

namespace Shears.Worker.Tests.Data;

public sealed class ImageSamplesTests
{
    [Fact]
    public void An_archive_becomes_rows_of_the_networks_shape_with_labels_from_its_folders()
    {
        var files = SyntheticImages.ClassFolders(3, 2, 40, 30, SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Webp);
        using var source = Source(SyntheticImages.Tar(files, gzip: true), [-1, 1, 28, 28], new PruningOptions { Augment = false });

        Assert.Equal(6, source.Count);
        Assert.Equal([1L, 28, 28], source.SampleShape);
        Assert.Equal([0L, 0, 1, 1, 2, 2], source.Labels!);
        var row = new float[28 * 28];
        source.Read(0, row, null);
        Assert.InRange(row.Min(), 0f, 0.3f);
        Assert.InRange(row.Max(), 0.6f, 1f);
    }

    [Fact]
    public void An_archive_of_one_folder_around_the_class_folders_is_read_the_same()
    {
        var files = SyntheticImages.ClassFolders(2, 2, 20, 20, SKEncodedImageFormat.Png).Select(f => ($"photos/{f.Path}", f.Data)).ToList();
        using var source = Source(SyntheticImages.Tar(files), [-1, 1, 16, 16], new PruningOptions { Augment = false });

        Assert.Equal([0L, 0, 1, 1], source.Labels!);
        var row = new float[16 * 16];
        source.Read(3, row, null);
        Assert.InRange(row.Max(), 0.6f, 1f);
    }

    [Fact]
    public void Centre_crop_channel_order_and_normalisation_follow_the_options()
    {
        // Left half red, right half blue, 80×40: the shorter side goes to 20 and the centre 20×20 keeps both halves.
        var image = TwoColours(80, 40, SKColors.Red, SKColors.Blue);
        var rgb = Decode(image, new PruningOptions { Augment = false }, [-1, 3, 20, 20]);
        Assert.Equal(1f, rgb[0 * 400 + 10 * 20 + 2], 2);   // red channel, left
        Assert.Equal(0f, rgb[2 * 400 + 10 * 20 + 2], 2);   // blue channel, left
        Assert.Equal(1f, rgb[2 * 400 + 10 * 20 + 17], 2);  // blue channel, right

        var bgr = Decode(image, new PruningOptions { Augment = false, ChannelOrder = "bgr" }, [-1, 3, 20, 20]);
        Assert.Equal(rgb[2 * 400 + 10 * 20 + 17], bgr[0 * 400 + 10 * 20 + 17]);

        var imagenet = Decode(image, new PruningOptions { Augment = false, Normalize = "imagenet" }, [-1, 3, 20, 20]);
        Assert.Equal((1f - 0.485f) / 0.229f, imagenet[0 * 400 + 10 * 20 + 2], 3);
        Assert.Equal((0f - 0.406f) / 0.225f, imagenet[2 * 400 + 10 * 20 + 2], 3);

        var gray = Decode(image, new PruningOptions { Augment = false }, [-1, 1, 20, 20]);
        Assert.Equal(0.299f, gray[10 * 20 + 2], 2);
        Assert.Equal(0.114f, gray[10 * 20 + 17], 2);
    }

    [Fact]
    public void Augmentation_is_fixed_by_seed_epoch_and_row_and_never_applied_without_a_generator()
    {
        var image = TwoColours(64, 64, SKColors.Red, SKColors.Blue);
        var options = new PruningOptions();
        var plain = Decode(image, options, [-1, 3, 16, 16]);
        Assert.Equal(plain, Decode(image, options, [-1, 3, 16, 16]));

        var first = Decode(image, options, [-1, 3, 16, 16], SampleSeed.For(1, 0, 5));
        Assert.Equal(first, Decode(image, options, [-1, 3, 16, 16], SampleSeed.For(1, 0, 5)));
        var others = Enumerable.Range(1, 8).Select(epoch => Decode(image, options, [-1, 3, 16, 16], SampleSeed.For(1, epoch, 5))).ToList();
        Assert.Contains(others, other => !other.SequenceEqual(first));
        // Some epoch flips the image: its red half is then on the right.
        Assert.Contains(others.Append(first), crop => crop[0 * 256 + 8 * 16 + 15] > 0.9f && crop[2 * 256 + 8 * 16 + 0] > 0.9f);
        Assert.Equal(plain, Decode(image, options with { Augment = false }, [-1, 3, 16, 16], SampleSeed.For(1, 0, 5)));
    }

    [Fact]
    public void A_file_cut_off_after_its_header_fails_naming_it()
    {
        var png = SyntheticImages.Image(0, 32, 32, SKEncodedImageFormat.Png, 1);
        var error = Assert.Throws<InvalidDataException>(() =>
            ImageDecoding.Decode(png.AsSpan(0, png.Length / 2), "c0/cut.png", ImagePreprocessing.For([-1, 3, 8, 8], new PruningOptions()), null, new float[192]));
        Assert.Contains("'c0/cut.png'", error.Message);
    }

    private static ImageArchiveSource Source(byte[] archive, long[] inputShape, PruningOptions options)
    {
        var stream = new MemoryStream(archive);
        return new ImageArchiveSource(stream, ArchiveFormats.Detect(stream)!.Value, "set", ImagePreprocessing.For(inputShape, options));
    }

    private static float[] Decode(byte[] file, PruningOptions options, long[] inputShape, Random? augmentation = null)
    {
        var preprocessing = ImagePreprocessing.For(inputShape, options);
        var sample = new float[preprocessing.SampleSize];
        ImageDecoding.Decode(file, "image", preprocessing, augmentation, sample);
        return sample;
    }

    private static byte[] TwoColours(int width, int height, SKColor left, SKColor right)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var leftPaint = new SKPaint { Color = left };
            using var rightPaint = new SKPaint { Color = right };
            canvas.DrawRect(0, 0, width / 2f, height, leftPaint);
            canvas.DrawRect(width / 2f, 0, width / 2f, height, rightPaint);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
