namespace Shears.Domain.Datasets.Images;

/// <summary>What a network's input must be for an image dataset: [N, 1 or 3, H, W], with H and W fixed or set by the job.</summary>
public static class ImageNetworkInput
{
    /// <summary>Why a network taking <paramref name="inputShape"/> cannot be fed images, in words; null when it can.</summary>
    /// <param name="imageSize">The job's <c>imageSize</c> option, which sizes the images when the network's H and W are not fixed.</param>
    public static string? Problem(IReadOnlyList<long> inputShape, int? imageSize)
    {
        var shape = string.Join(", ", inputShape);
        if (inputShape.Count != 4 || inputShape[1] is not (1 or 3))
        {
            return $"An image dataset needs a network whose input is [N, 1 or 3, H, W]; this one takes [{shape}].";
        }
        return imageSize is null && (inputShape[2] < 1 || inputShape[3] < 1)
            ? $"The network's input [{shape}] has no fixed height and width; give the job the option imageSize."
            : null;
    }
}
