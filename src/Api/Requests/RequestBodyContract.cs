namespace Shears.Api.Requests;

/// <summary>
/// What an endpoint reads from its body: the content types it accepts and the shape Swagger shows for them. One
/// declaration serves both: the endpoint filter refuses any other content type with a 415 that names these, and the
/// Swagger document lists them. (ASP.NET's own <c>Accepts</c> lets routing answer a bare 415 before any code runs.)
/// </summary>
public sealed record RequestBodyContract(Type Shape, IReadOnlyList<string> ContentTypes);

public static class RequestBodyContractExtensions
{
    public static RouteHandlerBuilder ReadsBody<TShape>(this RouteHandlerBuilder endpoint, params string[] contentTypes)
        => endpoint
            .WithMetadata(new RequestBodyContract(typeof(TShape), contentTypes))
            .AddEndpointFilter(async (context, next) =>
            {
                UnsupportedContentTypeException.ThrowUnlessOneOf(context.HttpContext.Request, contentTypes);
                return await next(context);
            });
}
