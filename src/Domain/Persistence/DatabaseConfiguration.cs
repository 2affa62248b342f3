using Microsoft.EntityFrameworkCore;

namespace Shears.Domain.Persistence;

public static class DatabaseConfiguration
{
    /// <summary>
    /// Points EF Core at the database the settings choose; both providers use snake_case names. On PostgreSQL,
    /// <paramref name="outages"/> decides whether calls retry through an outage or fail at once.
    /// </summary>
    public static DbContextOptionsBuilder UseShearsDatabase(this DbContextOptionsBuilder options, DatabaseSettings settings, DatabaseOutagePolicy outages)
    {
        if (settings.IsPostgres)
        {
            options.UseNpgsql(settings.For(outages).PostgresConnectionString, npgsql =>
            {
                if (outages == DatabaseOutagePolicy.RetryInBackground)
                {
                    npgsql.EnableRetryOnFailure(maxRetryCount: 6);
                }
            });
        }
        else
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(settings.SqlitePath));
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
            }
            options.UseSqlite($"Data Source={settings.SqlitePath}");
        }
        return options.UseSnakeCaseNamingConvention();
    }

    /// <summary>
    /// Brings the schema up to date: migrations on PostgreSQL (run by the Api only), EnsureCreated on the
    /// embedded SQLite file.
    /// </summary>
    public static async Task InitializeSchemaAsync(this ShearsDbContext db, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
        else
        {
            await db.Database.EnsureCreatedAsync(cancellationToken);
            // WAL lets the SSE readers read while the in-process worker writes.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }
}
