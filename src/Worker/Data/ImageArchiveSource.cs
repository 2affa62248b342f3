using Shears.Domain.Datasets;
using Shears.Domain.Datasets.Images;

namespace Shears.Worker.Data;

/// <summary>
/// An image archive's images as samples. One streaming pass (the upload's own reader, skipping what cannot be read, as
/// the upload check did or refused) copies each image's encoded bytes into a local scratch file; rows are then decoded
/// on demand from there, so only the encoded files sit on disk and a batch's pixels in memory.
/// </summary>
public sealed class ImageArchiveSource : ISampleSource
{
    private readonly LocalScratchFile _pack = new("images");
    private readonly (long Offset, int Length)[] _files;
    private readonly string[] _paths;
    private readonly ImagePreprocessing _preprocessing;

    public ImageArchiveSource(Stream seekable, ArchiveFormat format, string archiveName, ImagePreprocessing preprocessing)
    {
        _preprocessing = preprocessing;
        var stored = new Dictionary<string, (long, int)>(StringComparer.Ordinal);
        Archive = ImageArchiveReader.Read(seekable, format, archiveName, new ImageArchiveOptions(SkipBadImages: true), new DatasetLimits(),
            (path, bytes) => stored[path] = (_pack.Append(bytes), bytes.Length));
        _paths = [.. Archive.Images.Select(i => i.Path)];
        _files = [.. Archive.Images.Select(image => stored[image.EntryPath])];
    }

    public ImageArchive Archive { get; }

    public int Count => _files.Length;

    public long[] SampleShape => _preprocessing.SampleShape;

    /// <summary>Class index per row, or null for an unlabeled archive.</summary>
    public long[]? Labels => Archive.IsLabeled ? [.. Archive.Images.Select(i => (long)i.Label)] : null;

    public int NumClasses => Archive.Classes.Count;

    public void Read(int row, Span<float> destination, Random? augmentation)
    {
        var (offset, length) = _files[row];
        var bytes = new byte[length];
        _pack.ReadAt(offset, bytes);
        ImageDecoding.Decode(bytes, _paths[row], _preprocessing, augmentation, destination);
    }

    public void Dispose() => _pack.Dispose();
}
