namespace Shears.Domain.Persistence;

/// <summary>The SSE <c>event:</c> field of a job event.</summary>
public enum JobEventType
{
    Progress,
    Log,
    Status,

    /// <summary>Something about a job's result the user should know (<c>data: {message}</c>), before its final status.</summary>
    Warning,
}
