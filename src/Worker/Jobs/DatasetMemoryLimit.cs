using System.Globalization;
using Microsoft.Extensions.Configuration;
using Shears.Domain.Datasets;
using Shears.Domain.Persistence;

namespace Shears.Worker.Jobs;

/// <summary>
/// How large one job's IDX/.npy dataset may be, counted as float32 values (<c>Jobs:MaxDatasetMemoryBytes</c> [2 GiB]),
/// whatever the upload: a small upload can decode to far more (a 4 MB gzip to 2.5 million 28×28 images, 7.8 GB of
/// floats). A worker holds a dataset up to <c>Engine:MaxHeldDatasetBytes</c> in memory (as floats and again as a
/// tensor, about twice this) and reads a larger one from a local scratch copy a batch at a time; this limit bounds both.
/// The Api checks the stored dataset's samples and shape when a job is submitted (422), and a worker again before it
/// loads them.
/// </summary>
public sealed record DatasetMemoryLimit(long MaxBytes)
{
    public const long DefaultMaxBytes = 2L * 1024 * 1024 * 1024;

    public static DatasetMemoryLimit From(IConfiguration configuration)
        => new(configuration.GetValue<long?>("Jobs:MaxDatasetMemoryBytes") ?? DefaultMaxBytes);

    /// <summary>
    /// Why the dataset cannot be loaded within the limit, in words; null when it fits. An image archive always fits: it is
    /// read a batch at a time, never held.
    /// </summary>
    public string? Problem(StoredDataset dataset)
    {
        if (dataset.IsImageArchive)
        {
            return null;
        }
        var arrays = dataset.Arrays();
        var bytes = HeldBytes(dataset);
        var shapes = string.Join(" and ", arrays.Select(a => $"[{string.Join(", ", a.SampleShape)}]"));
        var held = arrays.Any(a => BytesPerValue(a) == sizeof(long)) ? "as float32 and int64" : "as float32";
        return bytes <= MaxBytes ? null : string.Create(CultureInfo.InvariantCulture,
            $"The dataset's {dataset.Samples:N0} samples of shape {shapes} take {Mib(bytes)} {held} in a worker's memory, more than the limit of {Mib(MaxBytes)} (Jobs:MaxDatasetMemoryBytes). Use a subset of the samples, or raise the limit on the Api and the workers if they have about twice that memory.");
    }

    /// <summary>The dataset's arrays as a worker holds them in memory (float32, or int64 for ids and masks).</summary>
    public static long HeldBytes(StoredDataset dataset) =>
        dataset.Arrays().Sum(a => a.SampleShape.Aggregate((long)dataset.Samples, (x, d) => x * d) * BytesPerValue(a));

    /// <summary>Float and byte data is held as float32, other integers (ids, masks) as int64 (see <see cref="DatasetArray"/>).</summary>
    private static long BytesPerValue(ArrayDescription array) =>
        Enum.TryParse<ElementType>(array.ElementType, ignoreCase: true, out var type) && !type.HeldAsFloats() ? sizeof(long) : sizeof(float);

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):N0} MiB");
}
