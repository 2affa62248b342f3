namespace Shears.Domain.Datasets;

/// <summary>
/// One named array of a dataset: a value per sample of <see cref="SampleShape"/>. Float and byte data (images) is held
/// as floats, other integer data (token ids, masks) as integers, so ids above 2²⁴ stay exact.
/// </summary>
public sealed class DatasetArray
{
    /// <summary>The name of the array of a single-array upload (an IDX or .npy file), which feeds a network's only input.</summary>
    public const string SingleName = "inputs";

    private DatasetArray(string name, ElementType elementType, int[] sampleShape, float[]? floats, long[]? integers)
    {
        Name = name;
        ElementType = elementType;
        SampleShape = sampleShape;
        Floats = floats;
        Integers = integers;
    }

    public string Name { get; }

    /// <summary>The element type stored in the file.</summary>
    public ElementType ElementType { get; }

    public int[] SampleShape { get; }

    /// <summary>The values, row-major, when the file held floats or bytes.</summary>
    public float[]? Floats { get; }

    /// <summary>The values, row-major, when the file held integers other than bytes (or booleans as 0/1).</summary>
    public long[]? Integers { get; }

    public int SampleSize => SampleShape.Aggregate(1, (a, b) => a * b);

    /// <summary>True for uint8 data, which the engine scales by 1/255 unless the job says otherwise.</summary>
    public bool IsByteData => ElementType == ElementType.UInt8;

    public static DatasetArray OfFloats(string name, int[] sampleShape, float[] values, ElementType elementType = ElementType.Float32) =>
        new(name, elementType, sampleShape, values, null);

    public static DatasetArray OfIntegers(string name, int[] sampleShape, long[] values, ElementType elementType = ElementType.Int64) =>
        new(name, elementType, sampleShape, null, values);

    /// <summary>Floats for float and byte data, integers for the other integer types.</summary>
    public static DatasetArray From(string name, NumericArray array) =>
        array.Header.ElementType.HeldAsFloats()
            ? new(name, array.Header.ElementType, array.Header.Shape[1..], array.ToFloats(), null)
            : new(name, array.Header.ElementType, array.Header.Shape[1..], null, array.ToLongs());

    public ArrayDescription Describe() => new(Name, ElementType.WireName(), SampleShape);
}
