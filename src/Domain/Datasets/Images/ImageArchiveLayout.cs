namespace Shears.Domain.Datasets.Images;

/// <summary>How an archive tells each image's class.</summary>
public enum ImageArchiveLayout
{
    /// <summary><c>cat/0001.jpg</c>: the folder is the class.</summary>
    ClassFolders,
    /// <summary>Top-level images and a <c>labels.csv</c> of <c>file,label</c> rows.</summary>
    LabelsCsv,
    /// <summary>Top-level images alone, no labels.</summary>
    Unlabeled,
}
