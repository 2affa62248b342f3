namespace Shears.Api.Swagger;

public static class ProblemResponses
{
    /// <summary>Lists the statuses an endpoint (or a group) may refuse with, each answered as problem details.</summary>
    public static TBuilder RefusesWith<TBuilder>(this TBuilder builder, params int[] statuses) where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in statuses)
        {
            builder.ProducesProblem(status);
        }
        return builder;
    }
}
