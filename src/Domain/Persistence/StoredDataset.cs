using System.ComponentModel.DataAnnotations.Schema;
using System.Text.Json;
using Shears.Domain.Datasets;

namespace Shears.Domain.Persistence;

/// <summary>An uploaded dataset: its inputs file (one array, or a .npz of named arrays), optionally a labels file, and what reading them found.</summary>
public sealed class StoredDataset : ITenantOwned
{
    public Guid Id { get; set; }
    public required string TenantId { get; set; }
    public required string Name { get; set; }
    public required string InputsSha256 { get; set; }
    /// <summary>The uploaded file name, kept only because its extension tells the reader the format (never used as a path).</summary>
    public required string InputsFileName { get; set; }
    /// <summary>
    /// The labels file; for an image archive the archive itself (its class folders or labels.csv label the images); null
    /// when the labels came inside the inputs (.npz) or there are none.
    /// </summary>
    public string? LabelsSha256 { get; set; }
    public string? LabelsFileName { get; set; }
    public int Samples { get; set; }
    /// <summary>Shape of one sample of the first array as JSON, e.g. <c>[28,28]</c>.</summary>
    public required string InputShapeJson { get; set; }
    /// <summary>Every input array (name, element type, sample shape) as JSON; null for rows stored before datasets had several.</summary>
    public string? ArraysJson { get; set; }
    /// <summary>Whether the dataset has labels (rows stored before labels were optional all have).</summary>
    public bool HasLabels { get; set; } = true;
    public int NumClasses { get; set; }
    public long SizeBytes { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>
    /// The stored arrays. A row from before datasets had several describes its one array from its input shape; its element
    /// type was not recorded, and all it decides (whether the array can feed integer ids) never arose for such datasets.
    /// </summary>
    public IReadOnlyList<ArrayDescription> Arrays() =>
        ArraysJson is { } json
            ? JsonSerializer.Deserialize<ArrayDescription[]>(json, JobEventLog.Json) ?? []
            : [new ArrayDescription(DatasetArray.SingleName, "float32", JsonSerializer.Deserialize<int[]>(InputShapeJson) ?? [])];
    /// <summary>An image archive is stored as both files (it labels its images itself); array files never are (labels are [N]).</summary>
    [NotMapped]
    public bool IsImageArchive => LabelsSha256 == InputsSha256;
}
