using System.Text.Json;
using Shears.Domain.Persistence;

namespace Shears.Api.Contracts;

public sealed record DatasetResponse(Guid Id, string Name, int Samples, int[] InputShape, int NumClasses, long SizeBytes, DateTime CreatedAt)
{
    public static DatasetResponse From(StoredDataset dataset) => new(dataset.Id, dataset.Name, dataset.Samples,
        JsonSerializer.Deserialize<int[]>(dataset.InputShapeJson) ?? [], dataset.NumClasses, dataset.SizeBytes, dataset.CreatedAt);
}
