namespace Shears.Domain.Datasets.Images;

/// <summary>
/// One usable image of an archive: its path (below the folder around everything, if there is one), its header, its class
/// index (-1 when unlabeled), and its entry's full name in the archive.
/// </summary>
public sealed record ArchivedImage(string Path, ImageHeader Header, int Label, string EntryPath);

/// <summary>An image left out because the upload asked to skip unusable ones, and why.</summary>
public sealed record SkippedImage(string Path, string Reason);
