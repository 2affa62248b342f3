using System.Text.Json;
using Shears.Domain.Graph;

namespace Shears.Domain.Persistence;

/// <summary>Builds the row of a model from its stored bytes and their inspection (uploads and pruned results alike).</summary>
public static class StoredModelFactory
{
    public static StoredModel Create(string tenantId, string name, StoredBlob blob, ModelInspection inspection, Guid? sourceJobId = null) => new()
    {
        Id = Guid.NewGuid(),
        TenantId = tenantId,
        Name = name,
        Sha256 = blob.Sha256,
        SizeBytes = blob.SizeBytes,
        CreatedAt = DateTime.UtcNow,
        InspectionJson = JsonSerializer.Serialize(inspection, JobEventLog.Json),
        InputSize = inspection.Inputs.Count > 0 ? SampleSize(inspection.Inputs[0]) : 0,
        OutputSize = inspection.Outputs.Count > 0 && inspection.Outputs[0].Shape is [.., > 0 and var width] ? width : 0,
        SourceJobId = sourceJobId,
    };

    /// <summary>Elements of one sample: the product of every dimension after the batch; 0 when any is unknown.</summary>
    private static long SampleSize(TensorDescription input)
    {
        if (input.Shape.Count < 2)
        {
            return 0;
        }
        var dims = input.Shape.Skip(1).ToArray();
        return dims.Any(d => d <= 0) ? 0 : dims.Aggregate(1L, (a, b) => a * b);
    }
}
