namespace Shears.Domain.Datasets.Images;

/// <summary>What reading an image archive found: its layout, classes (in index order) and usable images in archive order.</summary>
public sealed record ImageArchive(ImageArchiveLayout Layout, IReadOnlyList<string> Classes, IReadOnlyList<ArchivedImage> Images,
    IReadOnlyList<SkippedImage> Skipped)
{
    public bool IsLabeled => Layout != ImageArchiveLayout.Unlabeled;

    /// <summary>[channels, height, width] when every image has the same, else empty (the job's preprocessing sizes them).</summary>
    public int[] CommonShape()
    {
        var shapes = Images.Select(i => (i.Header.Channels, i.Header.Height, i.Header.Width)).Distinct().Take(2).ToList();
        return shapes is [var (c, h, w)] ? [c, h, w] : [];
    }
}
