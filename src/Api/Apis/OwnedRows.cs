using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shears.Domain.Persistence;

namespace Shears.Api.Apis;

public static class OwnedRows
{
    /// <summary>The row with <paramref name="id"/> mapped to its response, or the tenant-blind 404.</summary>
    public static async Task<Results<Ok<TResponse>, ProblemHttpResult>> GetOneAsync<TRow, TResponse>(this IQueryable<TRow> rows,
        Guid id, string resource, Func<TRow, TResponse> map, CancellationToken cancellationToken)
        where TRow : class, ITenantOwned
        => await rows.FirstOrDefaultAsync(row => row.Id == id, cancellationToken) is { } row
            ? TypedResults.Ok(map(row))
            : NotFound.Problem(resource, id);
}
