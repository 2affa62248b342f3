namespace Shears.Worker.Data;

/// <summary>
/// The rows of one input array of a dataset, read one at a time from where the dataset is stored (a local file, never the
/// whole set in memory). <see cref="Read"/> is called from several loader threads at once.
/// </summary>
public interface ISampleSource : IDisposable
{
    int Count { get; }

    /// <summary>The shape of one row as the source holds it, e.g. [3, 64, 64]; the network may take the same values in another layout.</summary>
    long[] SampleShape { get; }

    /// <summary>Writes row <paramref name="row"/> as floats; <paramref name="augmentation"/> is given for training rows only.</summary>
    void Read(int row, Span<float> destination, Random? augmentation);

    /// <summary>Writes row <paramref name="row"/> as integers, for a network input of ids or a mask; only array files hold them.</summary>
    void ReadIntegers(int row, Span<long> destination) =>
        throw new NotSupportedException($"{GetType().Name} holds no integer data; it feeds float inputs.");
}
