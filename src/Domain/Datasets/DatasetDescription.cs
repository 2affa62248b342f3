namespace Shears.Domain.Datasets;

/// <summary>What an upload's check learns about a dataset without keeping its values.</summary>
public sealed record DatasetDescription(int Samples, int[] SampleShape, int NumClasses, bool IsByteData);
