namespace Shears.Domain.Jobs;

/// <summary>A validated job request: what the engine will be asked to do.</summary>
public sealed record JobSpec(PruningMethod Method, PruningTarget Target, PruningOptions Options);
