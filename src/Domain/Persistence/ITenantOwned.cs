namespace Shears.Domain.Persistence;

/// <summary>A row that belongs to one tenant; every query on behalf of a caller filters on it.</summary>
public interface ITenantOwned
{
    Guid Id { get; }
    string TenantId { get; }
}

public static class TenantQueryExtensions
{
    /// <summary>Rows of <paramref name="tenantId"/> only: another tenant's row is simply not found.</summary>
    public static IQueryable<T> OwnedBy<T>(this IQueryable<T> rows, string tenantId) where T : ITenantOwned
        => rows.Where(row => row.TenantId == tenantId);
}
