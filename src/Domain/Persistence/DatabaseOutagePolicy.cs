namespace Shears.Domain.Persistence;

/// <summary>What a process's database calls do while PostgreSQL does not answer.</summary>
public enum DatabaseOutagePolicy
{
    /// <summary>Workers: retry with backoff for about a minute (EF's retrying execution strategy); nobody waits on the answer.</summary>
    RetryInBackground,

    /// <summary>
    /// The Api: no retries and a connect timeout of <see cref="DatabaseSettings.FailFastConnectTimeoutSeconds"/>, so a
    /// request meets an outage within seconds and is answered 503 with Retry-After instead of hanging for a minute.
    /// </summary>
    FailFast,
}
