namespace Shears.Worker.Data;

/// <summary>A batch in host memory as the loader built it: rows' samples back to back, their labels (or null), and which rows.</summary>
public sealed record HostBatch(float[] Inputs, long[]? Labels, int[] Rows);
