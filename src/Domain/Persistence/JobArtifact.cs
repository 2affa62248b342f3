namespace Shears.Domain.Persistence;

/// <summary>A file a job produced (<c>pruned.onnx</c>, <c>report.json</c> …), by name → content hash.</summary>
public sealed class JobArtifact
{
    public Guid JobId { get; set; }
    public required string Name { get; set; }
    public required string Sha256 { get; set; }
    public long SizeBytes { get; set; }
    public required string ContentType { get; set; }
}
