using System.Globalization;
using Shears.Domain.Graph;

namespace Shears.Domain.Datasets;

/// <summary>
/// Which dataset array feeds which network input, or why the dataset does not fit the network. An input is fed by the
/// array of its name; a network with one input also takes a dataset of one array whatever its name (an IDX or .npy
/// upload). Integer inputs (ids, masks) need integer arrays; float inputs take float or integer arrays. A sample may be
/// laid out differently as long as it holds as many values ([28, 28] images feed a [1, 28, 28] input).
/// </summary>
public static class DatasetFit
{
    private static readonly string[] IntegerInputTypes = ["int64", "int32", "bool"];

    /// <summary>For each network input, the index of the array that feeds it; throws <see cref="DatasetMismatchException"/> naming the input.</summary>
    public static int[] Match(IReadOnlyList<TensorDescription> inputs, IReadOnlyList<ArrayDescription> arrays)
    {
        var matched = new int[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            var index = inputs.Count == 1 && arrays.Count == 1 ? 0 : IndexOf(arrays, input.Name);
            if (index < 0)
            {
                throw new DatasetMismatchException(input.Name,
                    $"The network's input '{input.Name}' has no array in the dataset (it holds {string.Join(", ", arrays.Select(a => $"'{a.Name}'"))}); " +
                    "upload a .npz whose arrays are named like the network's inputs.");
            }
            Check(input, arrays[index]);
            matched[i] = index;
        }
        return matched;
    }

    private static int IndexOf(IReadOnlyList<ArrayDescription> arrays, string name)
    {
        for (var a = 0; a < arrays.Count; a++)
            if (arrays[a].Name == name)
                return a;
        return -1;
    }

    private static void Check(TensorDescription input, ArrayDescription array)
    {
        var integerInput = IntegerInputTypes.Contains(input.ElementType);
        if (integerInput && array.ElementType is "float32" or "float64")
        {
            throw new DatasetMismatchException(input.Name,
                $"The network's input '{input.Name}' is {input.ElementType} (ids or a mask) but the dataset's array '{array.Name}' holds {array.ElementType}; " +
                $"save it as integers (e.g. array.astype('{input.ElementType}')).");
        }
        var sample = input.Shape.Skip(1).ToArray();
        var values = sample.Aggregate(1L, (a, b) => a * b);
        var arrayValues = array.SampleShape.Aggregate(1L, (a, b) => a * b);
        var fits = sample.All(d => d > 0)
            ? values == arrayValues
            : sample.Length == array.SampleShape.Length && sample.Zip(array.SampleShape).All(p => p.First < 0 || p.First == p.Second);
        if (!fits)
        {
            throw new DatasetMismatchException(input.Name,
                $"The network's input '{input.Name}' takes samples of shape {Text(sample)}{(sample.All(d => d > 0) ? $" ({values} values)" : "")} " +
                $"but the dataset's array '{array.Name}' has samples of shape {Text(array.SampleShape.Select(d => (long)d))} ({arrayValues} values).");
        }
    }

    private static string Text(IEnumerable<long> shape) =>
        $"[{string.Join(", ", shape.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)))}]";
}

/// <summary>A dataset that cannot feed a network: <see cref="Input"/> is the network input it fails, the message says how.</summary>
public sealed class DatasetMismatchException(string input, string message) : Exception(message)
{
    public string Input { get; } = input;
}
