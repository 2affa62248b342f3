using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Shears.Api.Extensions;

/// <summary>
/// Tells an exception that means "the database cannot be reached just now" (answered 503 with Retry-After: the request
/// may be fine, the client should send it again later) from one that is a fault of the service (500).
/// </summary>
public static class DatabaseOutage
{
    /// <summary>How long a client is asked to wait: about what a database restart or failover takes.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    public static bool Caused(Exception exception)
    {
        for (var cause = exception; cause is not null; cause = cause.InnerException)
        {
            if (cause is NpgsqlException { IsTransient: true } or RetryLimitExceededException)
            {
                return true;
            }
        }
        return false;
    }
}
