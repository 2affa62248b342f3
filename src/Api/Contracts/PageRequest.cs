namespace Shears.Api.Contracts;

/// <summary>Query parameters of a list: <c>?pageIndex=0&amp;pageSize=20</c> (newest first).</summary>
public sealed record PageRequest(int PageIndex = 0, int PageSize = 20)
{
    public const int MaxPageSize = 100;

    public bool IsValid => PageIndex >= 0 && PageSize is >= 1 and <= MaxPageSize;
}

/// <summary>One page of a list and the total count of items.</summary>
public sealed record Page<T>(int PageIndex, int PageSize, long Count, IReadOnlyList<T> Data);
