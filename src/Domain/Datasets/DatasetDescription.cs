namespace Shears.Domain.Datasets;

/// <summary>What an upload's check learns about a dataset without keeping its values.</summary>
public sealed record DatasetDescription(int Samples, IReadOnlyList<ArrayDescription> Arrays, int NumClasses, bool HasLabels)
{
    /// <summary>The first array's per-sample shape (the only one of a single-array upload).</summary>
    public int[] SampleShape => Arrays[0].SampleShape;
}

/// <summary>One input array of a dataset: its name, element type (uint8, int64, float32, bool, …) and per-sample shape.</summary>
public sealed record ArrayDescription(string Name, string ElementType, int[] SampleShape);
