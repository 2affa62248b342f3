namespace Shears.Domain.Persistence;

/// <summary>The SSE <c>event:</c> field of a job event.</summary>
public enum JobEventType
{
    Progress,
    Log,
    Status,
}
