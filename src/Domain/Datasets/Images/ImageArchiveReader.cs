using System.Text;

namespace Shears.Domain.Datasets.Images;

/// <summary>
/// Reads an image archive (zip, tar, tar.gz) in one streaming pass: paths checked, each image's header read (never
/// its pixels), then the layout resolved and every image given its class. Whatever is wrong is named in an
/// <see cref="InvalidDatasetException"/>.
/// </summary>
public static class ImageArchiveReader
{
    public const int MaxImageFileBytes = 64 * 1024 * 1024;
    private const int MaxControlFileBytes = 16 * 1024 * 1024;

    /// <param name="keep">Called with each readable image's path and bytes during the pass (the worker copies them out).</param>
    public static ImageArchive Read(Stream seekable, ArchiveFormat format, string archiveName, ImageArchiveOptions options,
        DatasetLimits limits, Action<string, ReadOnlySpan<byte>>? keep = null)
    {
        var listing = new ArchiveListing();
        var buffer = new byte[64 * 1024];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in ArchiveWalk.Files(seekable, format, archiveName, limits))
        {
            if (ArchiveListing.IsByProduct(file.Segments))
            {
                continue;
            }
            if (!seen.Add(file.Path))
            {
                throw new InvalidDatasetException($"{archiveName}: the entry '{file.Path}' appears twice; each file may appear once. Nothing was stored.");
            }
            if (file.Segments.Length <= 2 && ArchiveListing.IsControlName(file.Segments[^1]) && file.Length <= MaxControlFileBytes)
            {
                var length = file.ReadInto(ref buffer, MaxControlFileBytes, archiveName);
                listing.ControlTexts[file.Path] = Encoding.UTF8.GetString(buffer, 0, length);
                continue;
            }
            if (listing.Candidates.Count >= limits.MaxSamples)
            {
                throw new InvalidDatasetException($"{archiveName}: more than the {limits.MaxSamples:N0} images allowed; upload a subset.");
            }
            var read = file.ReadInto(ref buffer, MaxImageFileBytes, archiveName);
            var (header, problem) = ImageHeader.Read(buffer.AsSpan(0, read));
            listing.Candidates.Add(new ArchiveListing.Candidate(file.Segments, header, problem, file.Path));
            if (header is not null)
            {
                keep?.Invoke(file.Path, buffer.AsSpan(0, read));
            }
        }
        return ArchiveLayoutResolution.Resolve(listing, archiveName, options);
    }
}
