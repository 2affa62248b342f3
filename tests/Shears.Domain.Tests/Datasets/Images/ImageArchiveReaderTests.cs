using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Shears.Domain.Datasets;
using Shears.Domain.Datasets.Images;
using Shears.Testing;
using SkiaSharp;

namespace Shears.Domain.Tests.Datasets.Images;

public sealed class ImageArchiveReaderTests
{
    private static readonly SKEncodedImageFormat[] AllFormats = [SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Webp];

    [Theory]
    [InlineData("zip")]
    [InlineData("tar")]
    [InlineData("tgz")]
    public void Class_folders_are_read_the_same_from_every_archive_format(string kind)
    {
        var files = SyntheticImages.ClassFolders(3, 4, 20, 16, AllFormats);
        files.Reverse(); // archive order is not class order
        var archive = Read(Pack(kind, files));

        Assert.Equal(ImageArchiveLayout.ClassFolders, archive.Layout);
        Assert.Equal(["c0", "c1", "c2"], archive.Classes);
        Assert.Equal(12, archive.Images.Count);
        Assert.All(archive.Images, image => Assert.Equal(image.Path[..2], archive.Classes[image.Label]));
        Assert.Equal(4, archive.Images.Count(i => i.Header.Format == "webp"));
        Assert.All(archive.Images, image => Assert.Equal((20, 16, 3), (image.Header.Width, image.Header.Height, image.Header.Channels)));
        Assert.Equal([3, 16, 20], archive.CommonShape());
    }

    [Fact]
    public void The_archive_format_is_told_by_content_and_array_files_are_not_archives()
    {
        var files = SyntheticImages.ClassFolders(2, 1, 8, 8, SKEncodedImageFormat.Png);
        Assert.Equal(ArchiveFormat.Zip, ArchiveFormats.Detect(new MemoryStream(SyntheticImages.Zip(files))));
        Assert.Equal(ArchiveFormat.Tar, ArchiveFormats.Detect(new MemoryStream(SyntheticImages.Tar(files))));
        Assert.Equal(ArchiveFormat.TarGzip, ArchiveFormats.Detect(new MemoryStream(SyntheticImages.Tar(files, gzip: true))));
        var npz = SyntheticImages.Zip([("inputs.npy", [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y']), ("labels.npy", [0x93])]);
        Assert.Null(ArchiveFormats.Detect(new MemoryStream(npz)));
        using var idx = File.OpenRead(DatasetFiles.Fixture("fashion_test_1k-images-idx3-ubyte.gz"));
        Assert.Null(ArchiveFormats.Detect(idx));
        Assert.Equal(0, idx.Position);
    }

    [Fact]
    public void A_single_folder_around_everything_is_looked_through_and_classes_txt_sets_the_order()
    {
        var files = SyntheticImages.ClassFolders(2, 2, 8, 8, SKEncodedImageFormat.Png).Select(f => ($"data/{f.Path}", f.Data)).ToList();
        files.Add(("data/classes.txt", Encoding.UTF8.GetBytes("c1\nc0\nnever-seen\n")));
        files.Add(("data/.DS_Store", [1, 2, 3]));
        files.Add(("__MACOSX/data/._c0", [1, 2, 3]));
        var archive = Read(SyntheticImages.Zip(files));
        Assert.Equal(["c1", "c0", "never-seen"], archive.Classes);
        Assert.All(archive.Images, image => Assert.Equal(image.Path.StartsWith("c1/") ? 0 : 1, image.Label));
    }

    [Fact]
    public void A_class_folder_missing_from_classes_txt_is_refused_by_name()
    {
        var files = SyntheticImages.ClassFolders(2, 1, 8, 8, SKEncodedImageFormat.Png);
        files.Add(("classes.txt", Encoding.UTF8.GetBytes("c0\n")));
        Assert.Contains("the folder 'c1' is not listed in classes.txt", Refusal(SyntheticImages.Zip(files)));
    }

    [Fact]
    public void Top_level_images_take_their_labels_from_labels_csv()
    {
        var files = new List<(string, byte[])>
        {
            ("a.png", SyntheticImages.Image(0, 8, 8, SKEncodedImageFormat.Png, 1)),
            ("b, with comma.jpg", SyntheticImages.Image(1, 8, 8, SKEncodedImageFormat.Jpeg, 2)),
            ("labels.csv", Encoding.UTF8.GetBytes("file,label\na.png,dog\n\"b, with comma.jpg\",cat\n")),
        };
        var archive = Read(SyntheticImages.Tar(files));
        Assert.Equal(ImageArchiveLayout.LabelsCsv, archive.Layout);
        Assert.Equal(["cat", "dog"], archive.Classes);
        Assert.Equal([1, 0], archive.Images.Select(i => i.Label));

        var numbered = Read(SyntheticImages.Tar([files[0], files[1], ("labels.csv", Encoding.UTF8.GetBytes("a.png,3\n\"b, with comma.jpg\",0\n"))]));
        Assert.Equal(4, numbered.Classes.Count);
        Assert.Equal([3, 0], numbered.Images.Select(i => i.Label));
    }

    [Fact]
    public void An_image_without_a_row_in_labels_csv_is_refused_by_name()
    {
        var files = new List<(string, byte[])>
        {
            ("a.png", SyntheticImages.Image(0, 8, 8, SKEncodedImageFormat.Png, 1)),
            ("b.png", SyntheticImages.Image(1, 8, 8, SKEncodedImageFormat.Png, 2)),
            ("labels.csv", Encoding.UTF8.GetBytes("a.png,dog\n")),
        };
        Assert.Contains("'b.png' has no row in labels.csv", Refusal(SyntheticImages.Zip(files)));
    }

    [Fact]
    public void Top_level_images_alone_are_unlabeled()
    {
        var files = Enumerable.Range(0, 3).Select(i => ($"{i}.png", SyntheticImages.Image(i, 8, 8, SKEncodedImageFormat.Png, i))).ToList();
        var archive = Read(SyntheticImages.Zip(files));
        Assert.Equal(ImageArchiveLayout.Unlabeled, archive.Layout);
        Assert.Empty(archive.Classes);
        Assert.All(archive.Images, image => Assert.Equal(-1, image.Label));
    }

    [Theory]
    [InlineData("c0/../../evil.png", "climbs out of the archive with '..'")]
    [InlineData("/etc/evil.png", "has an absolute path")]
    public void Entries_that_leave_the_archive_are_refused_in_zip_and_tar(string name, string expected)
    {
        var files = SyntheticImages.ClassFolders(2, 1, 8, 8, SKEncodedImageFormat.Png);
        files.Add((name, SyntheticImages.Image(0, 8, 8, SKEncodedImageFormat.Png, 9)));
        Assert.Contains(expected, Refusal(SyntheticImages.Zip(files)));
        Assert.Contains(expected, Refusal(SyntheticImages.Tar(files)));
    }

    [Fact]
    public void Links_are_refused_in_tar_and_zip()
    {
        using var tarBytes = new MemoryStream();
        using (var tar = new TarWriter(tarBytes, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "c0/a.png") { DataStream = new MemoryStream(SyntheticImages.Image(0, 8, 8, SKEncodedImageFormat.Png, 1)) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "c1/b.png") { LinkName = "/etc/passwd" });
        }
        Assert.Contains("'c1/b.png' is a link", Refusal(tarBytes.ToArray()));

        using var zipBytes = new MemoryStream();
        using (var zip = new ZipArchive(zipBytes, ZipArchiveMode.Create, leaveOpen: true))
        {
            var link = zip.CreateEntry("c1/b.png");
            link.ExternalAttributes = unchecked((int)(0xA1FFu << 16)); // what Info-ZIP writes for a symbolic link
            using var target = link.Open();
            target.Write("/etc/passwd"u8);
        }
        Assert.Contains("'c1/b.png' is a link", Refusal(zipBytes.ToArray()));
    }

    [Fact]
    public void A_corrupt_image_is_named_unless_the_upload_asks_to_skip_it()
    {
        var files = SyntheticImages.ClassFolders(2, 2, 8, 8, SKEncodedImageFormat.Png);
        var good = files[1].Data;
        files[1] = (files[1].Path, [.. good[..16], .. new byte[40]]); // a PNG signature, then garbage
        files.Add(("c1/notes.txt", "not an image"u8.ToArray()));
        var zip = SyntheticImages.Zip(files);
        var message = Refusal(zip);
        Assert.Contains("'c0/0001.png' is not a readable JPEG, PNG or WebP image", message);
        Assert.Contains("1 more like it", message);

        var archive = ImageArchiveReader.Read(new MemoryStream(zip), ArchiveFormat.Zip, "set.zip", new ImageArchiveOptions(SkipBadImages: true), new DatasetLimits());
        Assert.Equal(3, archive.Images.Count);
        Assert.Equal(["c0/0001.png", "c1/notes.txt"], archive.Skipped.Select(s => s.Path));
    }

    [Theory]
    [InlineData("c0/deeper/x.png", "'c0/deeper/x.png' is more than one folder deep")]
    [InlineData("x.png", "'x.png' is at the top level while other images are in class folders")]
    public void Mixed_or_deeper_layouts_are_refused_naming_the_entry(string extra, string expected)
    {
        var files = SyntheticImages.ClassFolders(2, 1, 8, 8, SKEncodedImageFormat.Png);
        files.Add((extra, SyntheticImages.Image(0, 8, 8, SKEncodedImageFormat.Png, 5)));
        var message = Refusal(SyntheticImages.Tar(files, gzip: true));
        Assert.Contains(expected, message);
        Assert.Contains("class folders (cat/0001.jpg", message);
    }

    [Fact]
    public void Labels_of_a_single_class_are_refused_naming_it()
    {
        var folder = SyntheticImages.ClassFolders(1, 3, 8, 8, SKEncodedImageFormat.Png);
        folder.Add(("classes.txt", Encoding.UTF8.GetBytes("c0\nc1\n")));
        Assert.Contains("every image is of the one class 'c0'", Refusal(SyntheticImages.Zip(folder)));

        var csv = new List<(string, byte[])>
        {
            ("a.png", SyntheticImages.Image(0, 8, 8, SKEncodedImageFormat.Png, 1)),
            ("b.png", SyntheticImages.Image(1, 8, 8, SKEncodedImageFormat.Png, 2)),
            ("labels.csv", Encoding.UTF8.GetBytes("a.png,dog\nb.png,dog\n")),
        };
        Assert.Contains("every image is of the one class 'dog'", Refusal(SyntheticImages.Tar(csv)));
    }

    [Fact]
    public void A_truncated_tar_gz_is_refused_as_corrupt()
    {
        var tgz = SyntheticImages.Tar(SyntheticImages.ClassFolders(2, 3, 32, 32, SKEncodedImageFormat.Png), gzip: true);
        Assert.Contains("corrupt", Refusal(tgz[..(tgz.Length / 2)], ArchiveFormat.TarGzip));
    }

    private static byte[] Pack(string kind, List<(string Path, byte[] Data)> files) => kind switch
    {
        "zip" => SyntheticImages.Zip(files),
        "tar" => SyntheticImages.Tar(files),
        _ => SyntheticImages.Tar(files, gzip: true),
    };

    private static ImageArchive Read(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        var format = ArchiveFormats.Detect(stream) ?? throw new InvalidOperationException("not an archive");
        return ImageArchiveReader.Read(stream, format, "set", new ImageArchiveOptions(), new DatasetLimits());
    }

    private static string Refusal(byte[] bytes, ArchiveFormat? format = null)
    {
        using var stream = new MemoryStream(bytes);
        format ??= ArchiveFormats.Detect(stream) ?? throw new InvalidOperationException("not an archive");
        return Assert.Throws<InvalidDatasetException>(() => ImageArchiveReader.Read(stream, format.Value, "set", new ImageArchiveOptions(), new DatasetLimits())).Message;
    }
}
