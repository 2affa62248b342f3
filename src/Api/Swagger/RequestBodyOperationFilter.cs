using Microsoft.OpenApi;
using Shears.Api.Requests;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Shears.Api.Swagger;

/// <summary>Lists the body an endpoint reads (its <see cref="RequestBodyContract"/>) under every content type it accepts.</summary>
public sealed class RequestBodyOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<RequestBodyContract>().FirstOrDefault() is not { } contract)
        {
            return;
        }
        var schema = context.SchemaGenerator.GenerateSchema(contract.Shape, context.SchemaRepository);
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = contract.ContentTypes.ToDictionary(type => type, IOpenApiMediaType (_) => new OpenApiMediaType { Schema = schema }),
        };
    }
}
