namespace Shears.Worker.Data;

/// <summary>
/// A batch in host memory as the loader built it: per graph input, the rows' samples back to back (float[], or long[] for
/// ids and masks); their labels (or null); and which rows.
/// </summary>
public sealed record HostBatch(Array[] Inputs, long[]? Labels, int[] Rows);
