using System.Buffers.Binary;
using Npgsql;

namespace Shears.Domain.Persistence;

/// <summary>
/// <see cref="IBlobHolds"/> across processes (distributed mode: several Apis and workers on one artifact folder), as
/// PostgreSQL advisory locks keyed by the first 64 bits of the SHA-256: a hold is a shared session lock on a
/// connection of its own, a deletion an exclusive one it only tries for. A process that dies ends its session, and
/// with it its holds.
/// </summary>
public sealed class PostgresBlobHolds(string connectionString) : IBlobHolds
{
    public async Task<IAsyncDisposable> HoldAsync(string sha256, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await ExecuteAsync(connection, "SELECT pg_advisory_lock_shared($1)", sha256, cancellationToken);
            return new Hold(connection, sha256);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task<bool> TryAloneAsync(string sha256, Func<CancellationToken, Task> deletion, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        if (await ExecuteAsync(connection, "SELECT pg_try_advisory_lock($1)", sha256, cancellationToken) is not true)
        {
            return false;
        }
        try
        {
            await deletion(cancellationToken);
            return true;
        }
        finally
        {
            await ExecuteAsync(connection, "SELECT pg_advisory_unlock($1)", sha256, CancellationToken.None);
        }
    }

    private static async Task<object?> ExecuteAsync(NpgsqlConnection connection, string sql, string sha256, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = KeyOf(sha256) } } };
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    private static long KeyOf(string sha256) => BinaryPrimitives.ReadInt64BigEndian(Convert.FromHexString(sha256.AsSpan(0, 16)));

    private sealed class Hold(NpgsqlConnection connection, string sha256) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await ExecuteAsync(connection, "SELECT pg_advisory_unlock_shared($1)", sha256, CancellationToken.None);
            }
            finally
            {
                // Closing ends the session's locks in any case (the pool resets a returned connection).
                await connection.DisposeAsync();
            }
        }
    }
}
