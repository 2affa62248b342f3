using Shears.Domain.Datasets.Images;
using Shears.Domain.Jobs;
using Shears.Worker.Engine;

namespace Shears.Worker.Data;

/// <summary>
/// How an image becomes a network input: shorter side resized to <see cref="ResizeShorterSide"/> and the centre
/// <see cref="Height"/>×<see cref="Width"/> cropped (training with augmentation: a random resized crop and a horizontal
/// flip instead), <see cref="Channels"/> channels in RGB or BGR order (grayscale and colour converted as needed), then
/// each value × <see cref="Scale"/>, minus the channel's mean, over its std.
/// </summary>
public sealed record ImagePreprocessing(int Height, int Width, int Channels, bool Bgr, int ResizeShorterSide, float Scale,
    float[] Mean, float[] Std, bool Augment)
{
    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>
    /// The job's image options over defaults from the network's input [N, C, H, W]; augmentation is on unless the job
    /// turns it off (it applies to training batches only).
    /// </summary>
    public static ImagePreprocessing For(IReadOnlyList<long> inputShape, PruningOptions options)
    {
        if (ImageNetworkInput.Problem(inputShape, options.ImageSize) is { } problem)
        {
            throw new PruningFailedException(problem);
        }
        var channels = (int)inputShape[1];
        var (height, width) = options.ImageSize is { } size ? (size, size) : ((int)inputShape[2], (int)inputShape[3]);
        var bgr = options.ChannelOrder == "bgr";
        var (mean, std) = options.Normalize == "imagenet" ? (Ordered(ImageNetMean, channels, bgr), Ordered(ImageNetStd, channels, bgr))
            : (PerChannel(options.Mean, channels, 0f), PerChannel(options.Std, channels, 1f));
        return new ImagePreprocessing(height, width, channels, bgr, options.ResizeShorterSide ?? Math.Max(height, width),
            (float)(options.InputScale ?? 1.0 / 255.0), mean, std, options.Augment ?? true);
    }

    public int SampleSize => Channels * Height * Width;

    public long[] SampleShape => [Channels, Height, Width];

    private static float[] Ordered(float[] rgb, int channels, bool bgr)
        => channels == 1 ? [rgb.Average()] : bgr ? [.. rgb.Reverse()] : rgb;

    private static float[] PerChannel(double[]? values, int channels, float fallback) => values switch
    {
        null => [.. Enumerable.Repeat(fallback, channels)],
        [var one] => [.. Enumerable.Repeat((float)one, channels)],
        _ when values.Length == channels => [.. values.Select(v => (float)v)],
        _ => throw new PruningFailedException($"mean and std need 1 or {channels} values (one per channel of the network's input); got {values.Length}."),
    };
}
