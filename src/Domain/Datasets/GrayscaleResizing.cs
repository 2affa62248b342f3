namespace Shears.Domain.Datasets;

/// <summary>
/// Single-channel images brought to a network's [channels, height, width] input by nearest-neighbour sampling, the one
/// channel repeated (Fashion-MNIST for the fixtures' 3×64×64 networks in tests and benchmarks).
/// </summary>
public static class GrayscaleResizing
{
    public static Dataset To(Dataset images, int[] sampleShape)
    {
        var pixels = images.Arrays[0];
        var (height, width) = (pixels.SampleShape[^2], pixels.SampleShape[^1]);
        if (sampleShape.Aggregate(1, (a, d) => a * d) == height * width)
            return images;
        var (channels, newHeight, newWidth) = (sampleShape[0], sampleShape[1], sampleShape[2]);
        var size = channels * newHeight * newWidth;
        var inputs = new float[images.Samples * size];
        for (var n = 0; n < images.Samples; n++)
            for (var c = 0; c < channels; c++)
                for (var y = 0; y < newHeight; y++)
                    for (var x = 0; x < newWidth; x++)
                        inputs[(n * size) + (((c * newHeight) + y) * newWidth) + x] =
                            pixels.Floats![(n * height * width) + (y * height / newHeight * width) + (x * width / newWidth)];
        return Dataset.OfOneArray(inputs, sampleShape, images.Labels, images.NumClasses, pixels.IsByteData);
    }
}
