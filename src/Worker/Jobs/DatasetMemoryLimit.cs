using System.Globalization;
using Microsoft.Extensions.Configuration;
using Shears.Domain.Datasets;
using Shears.Domain.Persistence;

namespace Shears.Worker.Jobs;

/// <summary>
/// How much memory one job's dataset may take in a worker, as float32 values (<c>Jobs:MaxDatasetMemoryBytes</c> [2 GiB]):
/// the engine holds every sample in memory, as floats and again as a tensor, so a worker needs about twice this. A
/// small upload can decode to far more (a 4 MB gzip to 2.5 million 28×28 images, 7.8 GB of floats), so the Api checks
/// the stored dataset's samples and shape when a job is submitted (422), and a worker again before it loads them.
/// </summary>
public sealed record DatasetMemoryLimit(long MaxBytes)
{
    public const long DefaultMaxBytes = 2L * 1024 * 1024 * 1024;

    public static DatasetMemoryLimit From(IConfiguration configuration)
        => new(configuration.GetValue<long?>("Jobs:MaxDatasetMemoryBytes") ?? DefaultMaxBytes);

    /// <summary>Why the dataset cannot be loaded within the limit, in words; null when it fits.</summary>
    public string? Problem(StoredDataset dataset)
    {
        var arrays = dataset.Arrays();
        var bytes = arrays.Sum(a => a.SampleShape.Aggregate((long)dataset.Samples, (x, d) => x * d) * BytesPerValue(a));
        var shapes = string.Join(" and ", arrays.Select(a => $"[{string.Join(", ", a.SampleShape)}]"));
        var held = arrays.Any(a => BytesPerValue(a) == sizeof(long)) ? "as float32 and int64" : "as float32";
        return bytes <= MaxBytes ? null : string.Create(CultureInfo.InvariantCulture,
            $"The dataset's {dataset.Samples:N0} samples of shape {shapes} take {Mib(bytes)} {held} in a worker's memory, more than the limit of {Mib(MaxBytes)} (Jobs:MaxDatasetMemoryBytes). Use a subset of the samples, or raise the limit on the Api and the workers if they have about twice that memory.");
    }

    /// <summary>Float and byte data is held as float32, other integers (ids, masks) as int64 (see <see cref="DatasetArray"/>).</summary>
    private static long BytesPerValue(ArrayDescription array) =>
        Enum.TryParse<ElementType>(array.ElementType, ignoreCase: true, out var type) && !type.HeldAsFloats() ? sizeof(long) : sizeof(float);

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):N0} MiB");
}
