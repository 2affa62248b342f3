using Shears.Domain.Datasets;
using Shears.Domain.Persistence;

namespace Shears.Worker.Jobs;

/// <summary>
/// What a stored dataset of arrays takes held on the device: float and byte data as float32, other integers (ids, masks)
/// as int64 (see <see cref="DatasetArray"/>). A worker holds it up to <c>Engine:MaxHeldDatasetBytes</c> and reads a larger
/// one a batch at a time, so no size is refused for memory: a 4 MB gzip of 2.5 million images streams like any other.
/// </summary>
public static class HeldDatasetSize
{
    public static long Bytes(StoredDataset dataset) =>
        dataset.Arrays().Sum(a => a.SampleShape.Aggregate((long)dataset.Samples, (x, d) => x * d) * BytesPerValue(a));

    private static long BytesPerValue(ArrayDescription array) =>
        Enum.TryParse<ElementType>(array.ElementType, ignoreCase: true, out var type) && !type.HeldAsFloats() ? sizeof(long) : sizeof(float);
}
