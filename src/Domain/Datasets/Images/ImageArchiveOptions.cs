namespace Shears.Domain.Datasets.Images;

/// <summary>How to read an image archive.</summary>
/// <param name="SkipBadImages">Leave out (and count) images that are corrupt or of another format instead of refusing the archive.</param>
public sealed record ImageArchiveOptions(bool SkipBadImages = false);
