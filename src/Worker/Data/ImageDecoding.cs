using SkiaSharp;

namespace Shears.Worker.Data;

/// <summary>
/// Decodes one image file (SkiaSharp) and writes it as a network input sample: the crop of <see cref="ImagePreprocessing"/>
/// scaled into H×W with linear filtering (mipmapped when shrinking), flipped when augmenting, then channels and
/// normalisation. Pixels outside the image (a crop larger than it) are black.
/// </summary>
public static class ImageDecoding
{
    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    public static void Decode(ReadOnlySpan<byte> file, string name, ImagePreprocessing preprocessing, Random? augmentation, Span<float> destination)
    {
        using var source = DecodePixels(file, name);
        var (crop, flip) = augmentation is not null && preprocessing.Augment
            ? (RandomResizedCrop(source.Width, source.Height, preprocessing, augmentation), augmentation.Next(2) == 1)
            : (CentreCrop(source.Width, source.Height, preprocessing), false);

        using var target = new SKBitmap(new SKImageInfo(preprocessing.Width, preprocessing.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(target))
        using (var image = SKImage.FromBitmap(source))
        {
            canvas.Clear(SKColors.Black);
            if (flip)
            {
                canvas.Translate(preprocessing.Width, 0);
                canvas.Scale(-1, 1);
            }
            canvas.DrawImage(image, crop, new SKRect(0, 0, preprocessing.Width, preprocessing.Height), Sampling);
        }
        WriteChannels(target.GetPixelSpan(), preprocessing, destination);
    }

    private static SKBitmap DecodePixels(ReadOnlySpan<byte> file, string name)
    {
        using var data = SKData.CreateCopy(file);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException($"'{name}' is not a readable JPEG, PNG or WebP image.");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new InvalidDataException($"'{name}' could not be decoded ({result}): the file is cut off or corrupt.");
        }
        return bitmap;
    }

    /// <summary>The source rectangle that resizing the shorter side to ResizeShorterSide and cropping the centre H×W takes.</summary>
    private static SKRect CentreCrop(int width, int height, ImagePreprocessing p)
    {
        var scale = (float)p.ResizeShorterSide / Math.Min(width, height);
        var (w, h) = (p.Width / scale, p.Height / scale);
        return SKRect.Create((width - w) / 2, (height - h) / 2, w, h);
    }

    /// <summary>torchvision's RandomResizedCrop: 8% to 100% of the area, aspect ratio 3/4 to 4/3, else the centre crop.</summary>
    private static SKRect RandomResizedCrop(int width, int height, ImagePreprocessing p, Random random)
    {
        var area = (double)width * height;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var target = area * (0.08 + 0.92 * random.NextDouble());
            var ratio = Math.Exp(Math.Log(3.0 / 4) + (Math.Log(4.0 / 3) - Math.Log(3.0 / 4)) * random.NextDouble());
            var (w, h) = (Math.Sqrt(target * ratio), Math.Sqrt(target / ratio));
            if (w <= width && h <= height)
            {
                return SKRect.Create((float)(random.NextDouble() * (width - w)), (float)(random.NextDouble() * (height - h)), (float)w, (float)h);
            }
        }
        return CentreCrop(width, height, p);
    }

    /// <summary>RGBA bytes to C×H×W floats: RGB or BGR, or luma (ITU-R BT.601) for one channel; × scale, − mean, ÷ std.</summary>
    private static void WriteChannels(ReadOnlySpan<byte> rgba, ImagePreprocessing p, Span<float> destination)
    {
        var plane = p.Width * p.Height;
        for (var i = 0; i < plane; i++)
        {
            var (r, g, b) = (rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]);
            if (p.Channels == 1)
            {
                destination[i] = ((0.299f * r + 0.587f * g + 0.114f * b) * p.Scale - p.Mean[0]) / p.Std[0];
                continue;
            }
            var (first, third) = p.Bgr ? (b, r) : (r, b);
            destination[i] = (first * p.Scale - p.Mean[0]) / p.Std[0];
            destination[plane + i] = (g * p.Scale - p.Mean[1]) / p.Std[1];
            destination[2 * plane + i] = (third * p.Scale - p.Mean[2]) / p.Std[2];
        }
    }
}
