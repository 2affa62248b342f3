using System.Text.Json;
using Shears.Domain.Datasets;
using Shears.Domain.Persistence;

namespace Shears.Api.Contracts;

/// <summary>
/// A dataset as the service read it: its input arrays (name, element type, per-sample shape; a single IDX or .npy
/// upload, or an image archive, is one array named <c>inputs</c>), whether it has labels, and the class count (0 without labels).
/// </summary>
/// <param name="Images">For an image archive, in the upload's answer: what its check saw (not kept with the dataset).</param>
public sealed record DatasetResponse(Guid Id, string Name, int Samples, int[] InputShape, IReadOnlyList<ArrayDescription> Arrays, bool HasLabels,
    int NumClasses, long SizeBytes, DateTime CreatedAt, ImageArchiveSummary? Images = null)
{
    public static DatasetResponse From(StoredDataset dataset) => new(dataset.Id, dataset.Name, dataset.Samples,
        JsonSerializer.Deserialize<int[]>(dataset.InputShapeJson) ?? [], dataset.Arrays(), dataset.HasLabels, dataset.NumClasses, dataset.SizeBytes,
        dataset.CreatedAt);

}
