using static TorchSharp.torch;

namespace Shears.Worker.Data;

/// <summary>
/// One graph input's rows as a loader reads them: the source, the sample shape the input takes (as many values as the
/// source's rows), and for an input of ids or a mask its integer type (the rows are read as integers), else null (floats).
/// </summary>
public sealed record SampleColumn(ISampleSource Source, long[] Shape, ScalarType? IntegerType)
{
    public int SampleSize => (int)Shape.Aggregate(1L, (a, b) => a * b);
}
