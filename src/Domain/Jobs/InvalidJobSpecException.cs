namespace Shears.Domain.Jobs;

/// <summary>A job request that cannot run, with one message per offending field (answered with 422).</summary>
public sealed class InvalidJobSpecException(IReadOnlyDictionary<string, string[]> errors)
    : Exception("The job request is not valid: " + string.Join("; ", errors.SelectMany(e => e.Value)))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}
