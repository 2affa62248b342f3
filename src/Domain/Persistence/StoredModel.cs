namespace Shears.Domain.Persistence;

/// <summary>An uploaded (or pruned) ONNX network; its bytes live in the artifact store under <see cref="Sha256"/>.</summary>
public sealed class StoredModel : ITenantOwned
{
    public Guid Id { get; set; }
    public required string TenantId { get; set; }
    public required string Name { get; set; }
    public required string Sha256 { get; set; }
    public long SizeBytes { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>The <c>inspection</c> object as JSON (see <see cref="Graph.ModelInspection"/>).</summary>
    public required string InspectionJson { get; set; }
    /// <summary>Elements of one input sample (product of the first input's non-batch dimensions).</summary>
    public long InputSize { get; set; }
    /// <summary>Width of the first output's last dimension, or 0 when unknown.</summary>
    public long OutputSize { get; set; }
    /// <summary>The job that produced this model by pruning, if any.</summary>
    public Guid? SourceJobId { get; set; }
}
