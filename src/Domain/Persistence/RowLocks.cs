using Microsoft.EntityFrameworkCore;

namespace Shears.Domain.Persistence;

/// <summary>How a transaction holds a row it read, until it ends.</summary>
public enum RowLock
{
    /// <summary>Others may read and share-lock the row, but not change or delete it.</summary>
    Share,

    /// <summary>The row to this transaction alone: it is about to change or go.</summary>
    Update,
}

/// <summary>
/// Reads one tenant-owned row locked until the transaction ends, so that "does a live job use this model or dataset?"
/// and the insert of a job that uses it cannot interleave: a new job reads its model and dataset <see cref="RowLock.Share"/>,
/// a deletion reads its row <see cref="RowLock.Update"/> before it looks for live jobs, and whichever comes second waits
/// and then sees what the first committed. SQLite has no row locks; there the transaction itself is the lock
/// (Microsoft.Data.Sqlite begins transactions IMMEDIATE, taking the database's write lock at once).
/// </summary>
public static class RowLocks
{
    public static Task<T?> FindLockedAsync<T>(this ShearsDbContext db, string tenantId, Guid id, RowLock mode, CancellationToken cancellationToken)
        where T : class, ITenantOwned
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("A row lock lasts as long as its transaction; begin one first.");
        }
        IQueryable<T> rows = db.Set<T>();
        if (db.Database.IsNpgsql())
        {
            var sql = "SELECT * FROM " + db.Model.FindEntityType(typeof(T))!.GetTableName() + " WHERE id = {0} FOR " + (mode == RowLock.Share ? "SHARE" : "UPDATE");
            rows = db.Set<T>().FromSqlRaw(sql, id);
        }
        return rows.OwnedBy(tenantId).FirstOrDefaultAsync(row => row.Id == id, cancellationToken);
    }
}
