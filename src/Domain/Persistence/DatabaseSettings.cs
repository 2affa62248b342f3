using Npgsql;

namespace Shears.Domain.Persistence;

/// <summary>
/// Where the service keeps its rows: PostgreSQL when <see cref="PostgresConnectionString"/> is set
/// (distributed mode), otherwise a SQLite file (embedded mode).
/// </summary>
public sealed record DatabaseSettings(string? PostgresConnectionString, string SqlitePath)
{
    public const int FailFastConnectTimeoutSeconds = 3;

    public bool IsPostgres => !string.IsNullOrWhiteSpace(PostgresConnectionString);

    /// <summary>These settings for <paramref name="policy"/>: <see cref="DatabaseOutagePolicy.FailFast"/> caps the connect timeout (Npgsql's default is 15 s).</summary>
    public DatabaseSettings For(DatabaseOutagePolicy policy)
    {
        if (!IsPostgres || policy != DatabaseOutagePolicy.FailFast)
        {
            return this;
        }
        var connection = new NpgsqlConnectionStringBuilder(PostgresConnectionString);
        connection.Timeout = Math.Min(connection.Timeout, FailFastConnectTimeoutSeconds);
        return this with { PostgresConnectionString = connection.ConnectionString };
    }
}
