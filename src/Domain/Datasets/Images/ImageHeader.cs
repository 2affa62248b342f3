using SkiaSharp;

namespace Shears.Domain.Datasets.Images;

/// <summary>What an image file's header says: its format, size and whether it is grayscale. Read without decoding pixels.</summary>
public sealed record ImageHeader(string Format, int Width, int Height, int Channels)
{
    /// <summary>Larger images are refused rather than decoded: a small file can claim a huge canvas.</summary>
    public const long MaxPixels = 64L * 1024 * 1024;

    /// <summary>The header of a JPEG, PNG or WebP file, or the reason it cannot be used.</summary>
    public static (ImageHeader? Header, string? Problem) Read(ReadOnlySpan<byte> file)
    {
        using var data = SKData.CreateCopy(file);
        using var codec = SKCodec.Create(data);
        if (codec is null)
        {
            return (null, "not a readable JPEG, PNG or WebP image (corrupt, or another format)");
        }
        string? format = codec.EncodedFormat switch
        {
            SKEncodedImageFormat.Jpeg => "jpeg",
            SKEncodedImageFormat.Png => "png",
            SKEncodedImageFormat.Webp => "webp",
            _ => null,
        };
        if (format is null)
        {
            return (null, $"a {codec.EncodedFormat.ToString().ToUpperInvariant()} image; only JPEG, PNG and WebP are supported");
        }
        var info = codec.Info;
        if (info.Width < 1 || info.Height < 1 || (long)info.Width * info.Height > MaxPixels)
        {
            return (null, $"{info.Width}×{info.Height} pixels, outside 1 to {MaxPixels:N0} pixels");
        }
        return (new ImageHeader(format, info.Width, info.Height, info.ColorType == SKColorType.Gray8 ? 1 : 3), null);
    }
}
