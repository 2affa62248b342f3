namespace Shears.Domain.Datasets;

/// <summary>What a file's header says about the array that follows it.</summary>
public sealed record ArrayHeader(int[] Shape, ElementType ElementType, bool BigEndian)
{
    public string ShapeText => $"[{string.Join(", ", Shape)}]";
}
