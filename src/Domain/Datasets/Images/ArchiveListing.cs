namespace Shears.Domain.Datasets.Images;

/// <summary>
/// One pass over an archive's files, sorted into what layout resolution needs: image candidates (with their header, or
/// the reason they cannot be used) and the text of the control files <c>classes.txt</c> and <c>labels.csv</c>.
/// </summary>
internal sealed class ArchiveListing
{
    public const string ClassesFile = "classes.txt";
    public const string LabelsFile = "labels.csv";

    /// <param name="EntryPath">The entry's full name in the archive (<see cref="Segments"/> lose the wrapper folder).</param>
    public sealed record Candidate(string[] Segments, ImageHeader? Header, string? Problem, string EntryPath)
    {
        public string Path => string.Join('/', Segments);
    }

    public List<Candidate> Candidates { get; } = [];

    /// <summary>Control files by path (they count only at the top level, which is known once the wrapper folder is).</summary>
    public Dictionary<string, string> ControlTexts { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Hidden files and folders (a leading '.') and macOS's <c>__MACOSX</c> folder are archiving by-products, not data.
    /// </summary>
    public static bool IsByProduct(string[] segments) => segments.Any(s => s.StartsWith('.') || s == "__MACOSX");

    public static bool IsControlName(string name)
        => name.Equals(ClassesFile, StringComparison.OrdinalIgnoreCase) || name.Equals(LabelsFile, StringComparison.OrdinalIgnoreCase);
}
