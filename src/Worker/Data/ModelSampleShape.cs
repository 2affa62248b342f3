using Shears.Worker.Engine;
namespace Shears.Worker.Data;

/// <summary>The shape a dataset's rows are given for the network: the network's per-sample input shape when it is fixed.</summary>
public static class ModelSampleShape
{
    /// <summary>
    /// The network's sample shape when the element counts agree (a [784] row feeds a [1, 28, 28] input), the data's own
    /// when the network's is not fixed, else a clear refusal.
    /// </summary>
    public static long[] For(IReadOnlyList<int> dataSampleShape, IReadOnlyList<long>? modelInputShape)
    {
        var modelSample = modelInputShape?.Skip(1).ToArray() ?? [];
        var dataSize = dataSampleShape.Aggregate(1L, (a, b) => a * b);
        if (modelSample.Length == 0 || modelSample.Any(d => d < 0))
            return [.. dataSampleShape.Select(d => (long)d)];
        var modelSize = modelSample.Aggregate(1L, (a, b) => a * b);
        if (modelSize != dataSize)
            throw new PruningFailedException($"The model takes samples of shape [{string.Join(", ", modelSample)}] ({modelSize} values) but the dataset's have [{string.Join(", ", dataSampleShape)}] ({dataSize}).");
        return modelSample;
    }
}
