namespace Shears.Domain.Datasets;

/// <summary>Reads an inputs file and a labels file (IDX, optionally gzipped, or .npy). (Placeholder until the readers land.)</summary>
public static class DatasetReader
{
    /// <summary>Throws <see cref="InvalidDatasetException"/> with a message a person can act on.</summary>
    public static Dataset Read(Stream inputs, string inputsFileName, Stream labels, string labelsFileName, DatasetLimits limits)
        => throw new NotImplementedException("Dataset readers have not landed yet.");
}

/// <summary>Bounds that keep a lying header or a gzip bomb from exhausting memory.</summary>
public sealed record DatasetLimits(long MaxDecodedBytes = 2L * 1024 * 1024 * 1024, int MaxSamples = 10_000_000, int MaxClasses = 100_000);

public sealed class InvalidDatasetException(string message) : Exception(message);
