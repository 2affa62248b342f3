namespace Shears.Domain.Datasets.Images;

/// <summary>One usable image of an archive: its path inside it, its header and its class index (-1 when unlabeled).</summary>
public sealed record ArchivedImage(string Path, ImageHeader Header, int Label);

/// <summary>An image left out because the upload asked to skip unusable ones, and why.</summary>
public sealed record SkippedImage(string Path, string Reason);
