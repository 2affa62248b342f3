using Shears.Domain.Datasets.Images;

namespace Shears.Api.Contracts;

/// <summary>What the upload check of an image archive saw, from the images' headers (no pixel was decoded).</summary>
/// <param name="Layout"><c>classFolders</c>, <c>labelsCsv</c> or <c>unlabeled</c>.</param>
/// <param name="Classes">In class index order, with their image counts (empty when unlabeled).</param>
/// <param name="Formats">Images per format: <c>jpeg</c>, <c>png</c>, <c>webp</c>.</param>
/// <param name="SkippedImages">The first 20 images left out (upload asked for <c>skipBadImages</c>), with why.</param>
public sealed record ImageArchiveSummary(string Layout, IReadOnlyList<ImageClassCount> Classes, IReadOnlyDictionary<string, int> Formats,
    ImageSizes Sizes, int Grayscale, int Skipped, IReadOnlyList<SkippedImage> SkippedImages)
{
    public static ImageArchiveSummary From(ImageArchive archive)
    {
        var counts = archive.Images.Where(i => i.Label >= 0).CountBy(i => i.Label).ToDictionary();
        var sizes = archive.Images.CountBy(i => (i.Header.Width, i.Header.Height)).ToList();
        var common = sizes.MaxBy(s => s.Value);
        return new ImageArchiveSummary(
            char.ToLowerInvariant(archive.Layout.ToString()[0]) + archive.Layout.ToString()[1..],
            archive.Classes.Select((name, i) => new ImageClassCount(name, counts.GetValueOrDefault(i))).ToList(),
            archive.Images.CountBy(i => i.Header.Format).OrderBy(f => f.Key, StringComparer.Ordinal).ToDictionary(),
            new ImageSizes(
                [archive.Images.Min(i => i.Header.Width), archive.Images.Min(i => i.Header.Height)],
                [archive.Images.Max(i => i.Header.Width), archive.Images.Max(i => i.Header.Height)],
                sizes.Count, [common.Key.Width, common.Key.Height], common.Value),
            archive.Images.Count(i => i.Header.Channels == 1),
            archive.Skipped.Count,
            archive.Skipped.Take(20).ToList());
    }
}

public sealed record ImageClassCount(string Name, int Images);

/// <summary>Widths and heights seen: the smallest and largest of each, how many distinct sizes, and the most common one.</summary>
public sealed record ImageSizes(int[] MinWidthHeight, int[] MaxWidthHeight, int Distinct, int[] MostCommon, int MostCommonImages);
