namespace Shears.Domain.Datasets.Images;

/// <summary>
/// An archive entry's name as a relative path with '/' separators. Absolute paths and '..' are refused outright: an
/// archive that carries them was made to write outside its folder, whatever else it holds.
/// </summary>
internal static class ArchiveEntryPath
{
    public static string[] Segments(string entryName, string archiveName)
    {
        var path = entryName.Replace('\\', '/');
        if (path.StartsWith('/') || (path.Length >= 2 && path[1] == ':'))
        {
            throw new InvalidDatasetException(
                $"{archiveName}: the entry '{entryName}' has an absolute path; archive entries must be relative (cat/0001.jpg). Nothing was stored.");
        }
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
        if (segments.Contains(".."))
        {
            throw new InvalidDatasetException(
                $"{archiveName}: the entry '{entryName}' climbs out of the archive with '..'; archive entries must stay inside it. Nothing was stored.");
        }
        return segments;
    }
}
