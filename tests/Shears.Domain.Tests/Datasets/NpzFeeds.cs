using System.IO.Compression;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Shears.Domain.Datasets;

namespace Shears.Domain.Tests.Datasets;

/// <summary>The first rows of an .npz's arrays as ONNX Runtime inputs, each named like its array (labels left out).</summary>
internal static class NpzFeeds
{
    public static List<NamedOnnxValue> FirstRows(string npz, int rows)
    {
        using var archive = ZipFile.OpenRead(npz);
        var feeds = new List<NamedOnnxValue>();
        foreach (var entry in archive.Entries.Where(e => e.Name != "labels.npy"))
        {
            using var stream = entry.Open();
            var values = NumericArrayFile.Read(stream, entry.Name, new DatasetLimits());
            feeds.Add(Feed(Path.GetFileNameWithoutExtension(entry.Name), values, rows));
        }
        return feeds;
    }

    private static NamedOnnxValue Feed(string name, NumericArray values, int rows)
    {
        var shape = values.Header.Shape.ToArray();
        var perSample = shape.Skip(1).Aggregate(1, (a, b) => a * b);
        shape[0] = rows;
        return values.Header.ElementType == ElementType.Int64
            ? NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(values.ToLongs().AsMemory(0, rows * perSample), shape))
            : NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(values.ToFloats().AsMemory(0, rows * perSample), shape));
    }
}
