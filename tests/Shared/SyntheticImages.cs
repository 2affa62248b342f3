using System.Formats.Tar;
using System.IO.Compression;
using SkiaSharp;

namespace Shears.Testing;

/// <summary>
/// Image datasets made on the spot for tests and benchmarks (shared by the test projects and bench through a linked
/// file): class k has a background of brightness 20 + 40·(k mod 6) with noise and a disc in quadrant k mod 4; the
/// brightness survives resizing, crops and flips, so a small network learns it even with augmentation; encoded as PNG,
/// JPEG or WebP by SkiaSharp and packed into zip, tar or tar.gz archives.
/// </summary>
internal static class SyntheticImages
{
    public static byte[] Image(int classIndex, int width, int height, SKEncodedImageFormat format, int seed)
    {
        var random = new Random(seed);
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using (var canvas = new SKCanvas(bitmap))
        {
            var level = (byte)(20 + 40 * (classIndex % 6));
            canvas.Clear(new SKColor(level, level, (byte)(level + 10)));
            using var noise = new SKPaint { Color = new SKColor((byte)(level + 30), (byte)(level + 30), (byte)(level + 30)) };
            for (var i = 0; i < width * height / 20; i++)
            {
                canvas.DrawPoint(random.Next(width), random.Next(height), noise);
            }
            var (cx, cy) = ((classIndex % 2 == 0 ? 0.3f : 0.7f) * width, (classIndex % 4 < 2 ? 0.3f : 0.7f) * height);
            using var disc = new SKPaint { Color = new SKColor((byte)(200 + random.Next(55)), 220, 180), IsAntialias = true };
            canvas.DrawCircle(cx + (random.NextSingle() - 0.5f) * width * 0.1f, cy + (random.NextSingle() - 0.5f) * height * 0.1f,
                Math.Min(width, height) * 0.18f, disc);
        }
        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>Class folders <c>c{k}/{i}.ext</c>, formats taken in turn from <paramref name="formats"/>.</summary>
    public static List<(string Path, byte[] Data)> ClassFolders(int classes, int perClass, int width, int height, params SKEncodedImageFormat[] formats)
        => [.. ClassFolderFiles(classes, perClass, width, height, formats)];

    /// <summary>The same files made one at a time as they are enumerated (for archives too large to hold).</summary>
    public static IEnumerable<(string Path, byte[] Data)> ClassFolderFiles(int classes, int perClass, int width, int height, params SKEncodedImageFormat[] formats)
    {
        for (var k = 0; k < classes; k++)
        {
            for (var i = 0; i < perClass; i++)
            {
                var format = formats[(k * perClass + i) % formats.Length];
                yield return ($"c{k}/{i:D4}.{Extension(format)}", Image(k, width, height, format, k * 100_003 + i));
            }
        }
    }

    public static string Extension(SKEncodedImageFormat format) => format switch
    {
        SKEncodedImageFormat.Jpeg => "jpg",
        SKEncodedImageFormat.Png => "png",
        SKEncodedImageFormat.Webp => "webp",
        _ => format.ToString().ToLowerInvariant(),
    };

    public static byte[] Zip(IEnumerable<(string Path, byte[] Data)> files)
    {
        using var bytes = new MemoryStream();
        using (var zip = new ZipArchive(bytes, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, data) in files)
            {
                using var entry = zip.CreateEntry(path, CompressionLevel.Fastest).Open();
                entry.Write(data);
            }
        }
        return bytes.ToArray();
    }

    public static byte[] Tar(IEnumerable<(string Path, byte[] Data)> files, bool gzip = false)
    {
        using var bytes = new MemoryStream();
        WriteTar(bytes, files, gzip);
        return bytes.ToArray();
    }

    /// <summary>Writes a tar (or tar.gz) of <paramref name="files"/> as they come: large archives never sit in memory.</summary>
    public static void WriteTar(Stream destination, IEnumerable<(string Path, byte[] Data)> files, bool gzip = false)
    {
        using var compressed = gzip ? new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true) : null;
        using var tar = new TarWriter(compressed ?? destination, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var (path, data) in files)
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(data) });
        }
    }
}
