using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Shears.Api.Requests;
using Shears.Api.Uploads;
using Shears.Domain.Datasets;
using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Persistence;

namespace Shears.Api.Extensions;

/// <summary>
/// Turns the domain's refusals into RFC 7807 problem details with the status that fits; anything else stays a
/// 500 without internals in the answer.
/// </summary>
public sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is ClientDroppedException)
        {
            // Nobody is left to answer; this is the client's doing, not a fault of the service.
            LogClientDropped(httpContext.Request.Method, httpContext.Request.Path, exception.Message);
            return true;
        }
        if (DatabaseOutage.Caused(exception))
        {
            LogDatabaseOutage(httpContext.Request.Method, httpContext.Request.Path, exception.Message);
            httpContext.Response.Headers.RetryAfter = ((int)DatabaseOutage.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        ProblemDetails? problem = exception switch
        {
            _ when DatabaseOutage.Caused(exception) => Problem(StatusCodes.Status503ServiceUnavailable, "The database cannot be reached just now.",
                $"Shears could not reach its database to answer this request. Send it again after {DatabaseOutage.RetryAfter.TotalSeconds:0} seconds (Retry-After); " +
                "the operator can check the database with GET /readyz."),
            ContentTooLargeException tooLarge => Problem(StatusCodes.Status413PayloadTooLarge, "The upload is too large.",
                $"{tooLarge.Message} Ask the operator to raise the Uploads limits if this file is genuine."),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => Problem(
                StatusCodes.Status413PayloadTooLarge, "The upload is too large.", exception.Message),
            InvalidModelException => Problem(StatusCodes.Status422UnprocessableEntity, "The model cannot be used.", exception.Message),
            InvalidDatasetException => Problem(StatusCodes.Status422UnprocessableEntity, "The dataset cannot be used.", exception.Message),
            InvalidJobSpecException spec => new HttpValidationProblemDetails(spec.Errors.ToDictionary(e => e.Key, e => e.Value))
            {
                Status = StatusCodes.Status422UnprocessableEntity,
                Title = "The job request is not valid.",
                Detail = spec.Message,
            },
            UnsupportedContentTypeException => Problem(StatusCodes.Status415UnsupportedMediaType, "The content type is not accepted.", exception.Message),
            ArtifactStoreUnavailableException => Problem(StatusCodes.Status503ServiceUnavailable, "The artifact store is unavailable.",
                "Files cannot be stored or read just now. Try again later; the operator sees why in the Api's log and at /readyz."),
            BadUploadException or BadHttpRequestException => Problem(StatusCodes.Status400BadRequest, "The request body is not as expected.", exception.Message),
            _ => null,
        };
        if (problem is null)
        {
            return false;
        }
        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: the database cannot be reached ({Reason})")]
    private partial void LogDatabaseOutage(string method, PathString path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} ended early, nothing kept: {Reason}")]
    private partial void LogClientDropped(string method, PathString path, string reason);

    private static ProblemDetails Problem(int status, string title, string detail) => new() { Status = status, Title = title, Detail = detail };
}
