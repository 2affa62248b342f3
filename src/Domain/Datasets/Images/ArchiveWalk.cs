using System.Formats.Tar;
using System.IO.Compression;

namespace Shears.Domain.Datasets.Images;

/// <summary>
/// The regular files of a zip, tar or tar.gz archive, one at a time in archive order, never the whole archive in memory.
/// Every entry's path is checked (<see cref="ArchiveEntryPath"/>); links and device entries are refused, directories
/// passed over. A tar.gz may decode to at most <see cref="DatasetLimits.MaxDecodedBytes"/>.
/// </summary>
public static class ArchiveWalk
{
    public static IEnumerable<ArchiveFile> Files(Stream seekable, ArchiveFormat format, string archiveName, DatasetLimits limits)
        => format == ArchiveFormat.Zip ? ZipFiles(seekable, archiveName) : TarFiles(seekable, format, archiveName, limits);

    private static IEnumerable<ArchiveFile> ZipFiles(Stream seekable, string archiveName)
    {
        using var zip = Corruption(() => new ZipArchive(seekable, ZipArchiveMode.Read, leaveOpen: true), archiveName);
        foreach (var entry in zip.Entries)
        {
            var segments = ArchiveEntryPath.Segments(entry.FullName, archiveName);
            if (IsZipLink(entry))
            {
                throw Link(entry.FullName, archiveName);
            }
            if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\') || segments.Length == 0)
            {
                continue; // a directory
            }
            if (entry.IsEncrypted)
            {
                throw new InvalidDatasetException($"{archiveName}: the entry '{entry.FullName}' is encrypted; upload an archive without a password.");
            }
            yield return new ArchiveFile(segments, entry.Length, entry.Open);
        }
    }

    /// <summary>Unix zip tools keep the file mode in the high 16 bits of the external attributes; 0xA000 is a symbolic link.</summary>
    private static bool IsZipLink(ZipArchiveEntry entry) => ((entry.ExternalAttributes >> 16) & 0xF000) == 0xA000;

    private static IEnumerable<ArchiveFile> TarFiles(Stream seekable, ArchiveFormat format, string archiveName, DatasetLimits limits)
    {
        using var tar = format == ArchiveFormat.TarGzip
            ? new DecodedSizeLimitStream(new GZipStream(seekable, CompressionMode.Decompress, leaveOpen: true), limits.MaxDecodedBytes, archiveName)
            : null;
        using var reader = new TarReader(tar ?? seekable, leaveOpen: true);
        while (Corruption(() => reader.GetNextEntry(copyData: false), archiveName) is { } entry)
        {
            switch (entry.EntryType)
            {
                case TarEntryType.GlobalExtendedAttributes:
                    continue; // settings for the entries after it, not a file
                case TarEntryType.Directory:
                    ArchiveEntryPath.Segments(entry.Name, archiveName);
                    continue;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    var segments = ArchiveEntryPath.Segments(entry.Name, archiveName);
                    var data = entry.DataStream ?? Stream.Null;
                    yield return new ArchiveFile(segments, entry.Length, () => new NonClosingStream(data));
                    continue;
                case TarEntryType.SymbolicLink or TarEntryType.HardLink:
                    ArchiveEntryPath.Segments(entry.Name, archiveName);
                    throw Link(entry.Name, archiveName);
                default:
                    ArchiveEntryPath.Segments(entry.Name, archiveName);
                    throw new InvalidDatasetException(
                        $"{archiveName}: the entry '{entry.Name}' is a {entry.EntryType} entry, not a regular file; upload an archive of image files only. Nothing was stored.");
            }
        }
    }

    private static InvalidDatasetException Link(string entryName, string archiveName)
        => new($"{archiveName}: the entry '{entryName}' is a link; archives with links are refused (a link can point outside the dataset). " +
            "Archive the files themselves. Nothing was stored.");

    private static T Corruption<T>(Func<T> read, string archiveName)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new InvalidDatasetException($"{archiveName}: the archive is corrupt or truncated ({e.Message}). Nothing was stored.");
        }
    }
}
