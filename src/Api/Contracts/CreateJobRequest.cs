namespace Shears.Api.Contracts;

/// <summary>
/// <c>POST /v1/jobs</c>: prune <c>modelId</c> on <c>datasetId</c> with <c>method</c> (<c>magnitude</c> | <c>fisher</c> |
/// <c>l0</c>) down to <c>target</c> (fractions of the original cost to keep), with method <c>options</c>. The body is read
/// by <see cref="Shears.Domain.Jobs.JobRequestParser"/>; this type only names it for Swagger, whose schema
/// (<see cref="Swagger.JobRequestSchema"/>) is built from the parser's own tables.
/// </summary>
public sealed record CreateJobRequest;
