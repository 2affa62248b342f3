using System.Diagnostics.CodeAnalysis;

namespace Shears.Domain.Datasets;

/// <summary>The numeric element types the IDX, .npy and .npz readers accept.</summary>
[SuppressMessage("Naming", "CA1720", Justification = "The members are named after the element types they stand for.")]
public enum ElementType
{
    UInt8,
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Bool,
}

public static class ElementTypeExtensions
{
    public static int SizeInBytes(this ElementType type) => type switch
    {
        ElementType.UInt8 or ElementType.Int8 or ElementType.Bool => 1,
        ElementType.Int16 => 2,
        ElementType.Int32 or ElementType.Float32 => 4,
        ElementType.Int64 or ElementType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static bool IsInteger(this ElementType type) => type is not (ElementType.Float32 or ElementType.Float64);

    /// <summary>Float and byte data is held as floats in memory; other integers (ids, masks) as integers.</summary>
    public static bool HeldAsFloats(this ElementType type) => type is ElementType.Float32 or ElementType.Float64 or ElementType.UInt8;

    /// <summary>The numpy name: uint8, int64, float32, bool, …</summary>
    public static string WireName(this ElementType type) => type.ToString().ToLowerInvariant();
}
