namespace Shears.Domain.Datasets.Images;

/// <summary>A <c>classes.txt</c>: one class name per line, in class index order (blank lines ignored).</summary>
internal static class ClassList
{
    public static IReadOnlyList<string> Parse(string text, string archiveName)
    {
        var names = text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0).ToList();
        if (names.Count == 0)
        {
            throw ArchiveLayoutResolution.BadLayout(archiveName, "classes.txt is empty.");
        }
        if (names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw ArchiveLayoutResolution.BadLayout(archiveName, $"classes.txt lists '{twice.Key}' more than once.");
        }
        return names;
    }
}
