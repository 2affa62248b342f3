using Shears.Domain.Datasets;

namespace Shears.Bench;

/// <summary>A zoo network's .npz (its input arrays and, for classifiers, "labels") as a dataset.</summary>
internal static class ZooData
{
    public static Dataset Read(string npz)
    {
        using var stream = File.OpenRead(npz);
        return DatasetReader.Read(stream, Path.GetFileName(npz), null, null, new DatasetLimits());
    }
}
