using Microsoft.AspNetCore.Http.HttpResults;

namespace Shears.Api.Apis;

/// <summary>The one answer for an id that does not exist or belongs to another tenant: they look the same.</summary>
public static class NotFound
{
    public static ProblemHttpResult Problem(string resource, Guid id) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: $"No such {resource}.",
        detail: $"There is no {resource} {id} for your API key.");
}
