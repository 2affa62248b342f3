using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shears.Api.Contracts;
using Shears.Domain.Persistence;

namespace Shears.Api.Apis;

public static class Paging
{
    /// <summary>One page of <paramref name="rows"/>, newest first, mapped to its response type.</summary>
    public static async Task<Results<Ok<Page<TResponse>>, ProblemHttpResult>> ToPageAsync<TRow, TResponse>(
        this IQueryable<TRow> rows, PageRequest page, Func<TRow, TResponse> map, CancellationToken cancellationToken)
        where TRow : class, ITenantOwned
    {
        if (!page.IsValid)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid paging.",
                detail: $"pageIndex must be 0 or more and pageSize from 1 to {PageRequest.MaxPageSize}.");
        }
        var count = await rows.LongCountAsync(cancellationToken);
        var items = await rows.OrderByDescending(r => EF.Property<DateTime>(r, "CreatedAt"))
            .Skip(page.PageIndex * page.PageSize).Take(page.PageSize).ToListAsync(cancellationToken);
        return TypedResults.Ok(new Page<TResponse>(page.PageIndex, page.PageSize, count, items.Select(map).ToArray()));
    }
}
