using Shears.Domain.Datasets;

namespace Shears.Worker.Data;

/// <summary>
/// A job's dataset as the engine gets it: <see cref="Held"/> in memory (array files small enough, tests), or
/// <see cref="Stored"/> files it reads a batch at a time (image archives, and array files too large to hold).
/// </summary>
public abstract record JobDataset
{
    public sealed record Held(Dataset Dataset) : JobDataset;

    public sealed record Stored(StoredDatasetFiles Files) : JobDataset;

    public static implicit operator JobDataset(Dataset dataset) => new Held(dataset);
}
