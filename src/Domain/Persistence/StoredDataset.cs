using System.ComponentModel.DataAnnotations.Schema;

namespace Shears.Domain.Persistence;

/// <summary>An uploaded dataset: two files in the artifact store and what reading them found.</summary>
public sealed class StoredDataset : ITenantOwned
{
    public Guid Id { get; set; }
    public required string TenantId { get; set; }
    public required string Name { get; set; }
    public required string InputsSha256 { get; set; }
    /// <summary>The uploaded file name, kept only because its extension tells the reader the format (never used as a path).</summary>
    public required string InputsFileName { get; set; }
    /// <summary>For an image archive, the archive itself: its class folders or labels.csv label the images.</summary>
    public required string LabelsSha256 { get; set; }
    public required string LabelsFileName { get; set; }
    public int Samples { get; set; }
    /// <summary>Shape of one sample as JSON, e.g. <c>[28,28]</c>.</summary>
    public required string InputShapeJson { get; set; }
    public int NumClasses { get; set; }
    public long SizeBytes { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>An image archive is stored as both files (it labels its images itself); array files never are (labels are [N]).</summary>
    [NotMapped]
    public bool IsImageArchive => LabelsSha256 == InputsSha256;
}
