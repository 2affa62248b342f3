namespace Shears.Domain.Datasets.Images;

/// <summary>
/// Decides an archive's layout from its paths and gives each image its class. A single folder holding everything is a
/// wrapper (what zipping a folder makes) and is looked through. Then: a top-level <c>labels.csv</c> labels top-level
/// images; otherwise images one folder deep are class folders; otherwise top-level images are unlabeled. Anything
/// mixed or deeper is refused with the entry that does not fit.
/// </summary>
internal static class ArchiveLayoutResolution
{
    private const string Layouts =
        "An image archive holds class folders (cat/0001.jpg, dog/0002.png; a classes.txt may give the class order), " +
        "or images at the top level with a labels.csv of file,label rows, or images at the top level alone (unlabeled).";

    public static ImageArchive Resolve(ArchiveListing listing, string archiveName, ImageArchiveOptions options)
    {
        var wrapper = WrapperDepth(listing);
        var candidates = listing.Candidates.Select(c => c with { Segments = c.Segments[wrapper..] }).ToList();
        var controls = listing.ControlTexts.ToDictionary(c => string.Join('/', c.Key.Split('/')[wrapper..]), c => c.Value, StringComparer.Ordinal);
        if (candidates.Count == 0)
        {
            throw BadLayout(archiveName, "it holds no images.");
        }
        if (controls.Keys.FirstOrDefault(path => path.Contains('/')) is { } misplaced)
        {
            throw BadLayout(archiveName, $"'{misplaced}' is inside a folder; classes.txt and labels.csv belong at the top level.");
        }
        var classesText = TextNamed(controls, ArchiveListing.ClassesFile);
        var labelsText = TextNamed(controls, ArchiveListing.LabelsFile);

        var layout = labelsText is not null ? ImageArchiveLayout.LabelsCsv
            : candidates.Any(c => c.Segments.Length > 1) ? ImageArchiveLayout.ClassFolders
            : ImageArchiveLayout.Unlabeled;
        var depth = layout == ImageArchiveLayout.ClassFolders ? 2 : 1;
        if (candidates.FirstOrDefault(c => c.Segments.Length != depth) is { } misfit)
        {
            throw BadLayout(archiveName, Misfit(layout, misfit.Path));
        }
        if (layout == ImageArchiveLayout.Unlabeled && classesText is not null)
        {
            throw BadLayout(archiveName, "it has a classes.txt but no class folders and no labels.csv to label the images with.");
        }

        var (classes, labelOf) = layout switch
        {
            ImageArchiveLayout.ClassFolders => ClassFolders(candidates, classesText, archiveName),
            ImageArchiveLayout.LabelsCsv => LabelsCsv.Labels(candidates, labelsText!, classesText, archiveName),
            _ => ([], _ => -1),
        };
        var skipped = Problems(candidates, archiveName, options);
        var images = candidates.Where(c => c.Header is not null).Select(c => new ArchivedImage(c.Path, c.Header!, labelOf(c), c.EntryPath)).ToList();
        if (images.Count == 0)
        {
            throw BadLayout(archiveName, "none of its images could be read.");
        }
        if (layout != ImageArchiveLayout.Unlabeled && images.Select(i => i.Label).Distinct().Count() == 1)
        {
            throw BadLayout(archiveName, $"every image is of the one class '{classes[images[0].Label]}'; a classifier needs images of two classes or more " +
                "(unlabeled images, for distillation, go at the top level without classes.txt or labels.csv).");
        }
        return new ImageArchive(layout, classes, images, skipped);
    }

    /// <summary>How many leading folders every file shares (and nothing else sits beside): they are looked through.</summary>
    private static int WrapperDepth(ArchiveListing listing)
    {
        var paths = listing.Candidates.Select(c => c.Segments).Concat(listing.ControlTexts.Keys.Select(k => k.Split('/'))).ToList();
        var depth = 0;
        while (paths.Count > 0 && paths.All(p => p.Length > depth + 1 && p[depth] == paths[0][depth]))
        {
            depth++;
        }
        return depth;
    }

    private static string? TextNamed(Dictionary<string, string> controls, string name)
        => controls.FirstOrDefault(c => c.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    private static string Misfit(ImageArchiveLayout layout, string path) => layout switch
    {
        ImageArchiveLayout.LabelsCsv => $"labels.csv labels top-level images, but '{path}' is in a folder.",
        ImageArchiveLayout.ClassFolders when !path.Contains('/') => $"'{path}' is at the top level while other images are in class folders.",
        _ => $"'{path}' is more than one folder deep; class folders hold their images directly.",
    };

    private static (IReadOnlyList<string>, Func<ArchiveListing.Candidate, int>) ClassFolders(
        List<ArchiveListing.Candidate> candidates, string? classesText, string archiveName)
    {
        // Folders of unreadable images count too, so skipping images never shifts the class indices.
        var folders = candidates.Select(c => c.Segments[0]).Distinct().Order(StringComparer.Ordinal).ToList();
        var classes = classesText is null ? folders : ClassList.Parse(classesText, archiveName);
        var index = classes.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        if (folders.FirstOrDefault(f => !index.ContainsKey(f)) is { } unlisted)
        {
            throw BadLayout(archiveName, $"the folder '{unlisted}' is not listed in classes.txt; list every class folder there, one per line.");
        }
        return (classes, c => index[c.Segments[0]]);
    }

    private static List<SkippedImage> Problems(List<ArchiveListing.Candidate> candidates, string archiveName, ImageArchiveOptions options)
    {
        var problems = candidates.Where(c => c.Problem is not null).Select(c => new SkippedImage(c.Path, c.Problem!)).ToList();
        if (problems.Count > 0 && !options.SkipBadImages)
        {
            var others = problems.Count > 1 ? $" ({problems.Count - 1:N0} more like it)" : "";
            throw new InvalidDatasetException(
                $"{archiveName}: '{problems[0].Path}' is {problems[0].Reason}{others}. Remove it, or upload with skipBadImages=true " +
                "to leave such images out. Nothing was stored.");
        }
        return problems;
    }

    public static InvalidDatasetException BadLayout(string archiveName, string problem)
        => new($"{archiveName}: the archive's layout is not one Shears reads: {problem} {Layouts} Nothing was stored.");
}
