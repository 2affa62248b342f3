namespace Shears.Domain.Datasets;

/// <summary>Bounds that keep a lying header or a gzip bomb from exhausting memory.</summary>
public sealed record DatasetLimits(long MaxDecodedBytes = 2L * 1024 * 1024 * 1024, int MaxSamples = 10_000_000, int MaxClasses = 100_000);
