using System.IO.Compression;
using Shears.Domain.Datasets;

namespace Shears.Bench;

/// <summary>A zoo network's .npz (the arrays "input" and "labels") as a one-input labelled dataset.</summary>
internal static class ZooData
{
    public static Dataset Read(string npz)
    {
        using var archive = ZipFile.OpenRead(npz);
        var input = Array(archive, "input", npz);
        var labels = Array(archive, "labels", npz).ToLongs();
        return new Dataset
        {
            Samples = input.Header.Shape[0],
            SampleShape = input.Header.Shape[1..],
            Inputs = input.ToFloats(),
            Labels = labels,
            NumClasses = (int)labels.Max() + 1,
            IsByteData = false,
        };
    }

    private static NumericArray Array(ZipArchive archive, string name, string npz)
    {
        var entry = archive.GetEntry($"{name}.npy") ?? throw new InvalidDatasetException($"{npz} has no array '{name}': only one float input with labels is read today.");
        using var stream = entry.Open();
        return NumericArrayFile.Read(stream, entry.Name, new DatasetLimits());
    }
}
