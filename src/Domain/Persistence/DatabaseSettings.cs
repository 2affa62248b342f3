namespace Shears.Domain.Persistence;

/// <summary>
/// Where the service keeps its rows: PostgreSQL when <see cref="PostgresConnectionString"/> is set
/// (distributed mode), otherwise a SQLite file (embedded mode).
/// </summary>
public sealed record DatabaseSettings(string? PostgresConnectionString, string SqlitePath)
{
    public bool IsPostgres => !string.IsNullOrWhiteSpace(PostgresConnectionString);
}
