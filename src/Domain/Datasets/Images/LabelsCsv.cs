using System.Globalization;
using Microsoft.VisualBasic.FileIO;

namespace Shears.Domain.Datasets.Images;

/// <summary>
/// A <c>labels.csv</c> of <c>file,label</c> rows (an optional header row <c>file,label</c>; quoted fields as RFC 4180).
/// Labels are class names: in classes.txt's order when there is one, else as class indices when every label is a whole
/// number, else in sorted order. Every top-level image needs exactly one row, and every row an image.
/// </summary>
internal static class LabelsCsv
{
    public static (IReadOnlyList<string>, Func<ArchiveListing.Candidate, int>) Labels(
        List<ArchiveListing.Candidate> candidates, string text, string? classesText, string archiveName)
    {
        var rows = Rows(text, archiveName);
        var files = candidates.Select(c => c.Path).ToHashSet(StringComparer.Ordinal);
        if (rows.Keys.FirstOrDefault(f => !files.Contains(f)) is { } missing)
        {
            throw ArchiveLayoutResolution.BadLayout(archiveName, $"labels.csv names '{missing}', which is not among the archive's top-level images.");
        }
        if (candidates.FirstOrDefault(c => !rows.ContainsKey(c.Path)) is { } unlabeled)
        {
            throw ArchiveLayoutResolution.BadLayout(archiveName, $"'{unlabeled.Path}' has no row in labels.csv; give every image a label.");
        }

        var names = rows.Values.Distinct(StringComparer.Ordinal).ToList();
        IReadOnlyList<string> classes;
        if (classesText is not null)
        {
            classes = ClassList.Parse(classesText, archiveName);
            if (names.FirstOrDefault(n => !classes.Contains(n)) is { } unknown)
            {
                throw ArchiveLayoutResolution.BadLayout(archiveName, $"labels.csv uses the label '{unknown}', which classes.txt does not list.");
            }
        }
        else if (names.All(n => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < 100_000))
        {
            var count = names.Max(n => int.Parse(n, CultureInfo.InvariantCulture)) + 1;
            classes = Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        }
        else
        {
            classes = names.Order(StringComparer.Ordinal).ToList();
        }
        var index = classes.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        return (classes, c => index[rows[c.Path]]);
    }

    private static Dictionary<string, string> Rows(string text, string archiveName)
    {
        using var parser = new TextFieldParser(new StringReader(text)) { TextFieldType = FieldType.Delimited, HasFieldsEnclosedInQuotes = true };
        parser.SetDelimiters(",");
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!parser.EndOfData)
        {
            var line = parser.LineNumber;
            string[]? fields;
            try
            {
                fields = parser.ReadFields();
            }
            catch (MalformedLineException e)
            {
                throw ArchiveLayoutResolution.BadLayout(archiveName, $"labels.csv line {e.LineNumber} is not valid CSV.");
            }
            if (fields is null || fields.All(string.IsNullOrWhiteSpace))
            {
                continue;
            }
            if (fields.Length != 2 || fields.Any(string.IsNullOrWhiteSpace))
            {
                throw ArchiveLayoutResolution.BadLayout(archiveName, $"labels.csv line {line} has {fields.Length} field(s); every row is file,label.");
            }
            var (file, label) = (fields[0].Trim(), fields[1].Trim());
            if (rows.Count == 0 && line == 1 && file.Equals("file", StringComparison.OrdinalIgnoreCase) && label.Equals("label", StringComparison.OrdinalIgnoreCase))
            {
                continue; // the header row
            }
            if (!rows.TryAdd(file, label))
            {
                throw ArchiveLayoutResolution.BadLayout(archiveName, $"labels.csv labels '{file}' twice.");
            }
        }
        return rows;
    }
}
