using System.Text.Json;
using Shears.Domain.Persistence;

namespace Shears.Api.Contracts;

/// <param name="Images">For an image archive, in the upload's answer: what its check saw (not kept with the dataset).</param>
public sealed record DatasetResponse(Guid Id, string Name, int Samples, int[] InputShape, int NumClasses, long SizeBytes, DateTime CreatedAt,
    ImageArchiveSummary? Images = null)
{
    public static DatasetResponse From(StoredDataset dataset) => new(dataset.Id, dataset.Name, dataset.Samples,
        JsonSerializer.Deserialize<int[]>(dataset.InputShapeJson) ?? [], dataset.NumClasses, dataset.SizeBytes, dataset.CreatedAt);
}
