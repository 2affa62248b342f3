using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Polly;
using Polly.Retry;

namespace Shears.Domain.Persistence;

/// <summary>
/// Retries of one S3 request that failed for a reason that may pass (no connection, a timeout, a 5xx or throttling
/// answer), with exponential backoff and jitter; once they are spent, the failure becomes an
/// <see cref="ArtifactStoreUnavailableException"/>. A definite answer (403, 404, a bad request) is not retried; a missing
/// bucket or refused credentials, which no request can get past, become that exception at once, saying which.
/// </summary>
public sealed class S3Retries
{
    private readonly ResiliencePipeline _pipeline;
    private readonly string _where;

    public S3Retries(S3Settings settings)
    {
        _where = settings.Describe();
        _pipeline = settings.Retries <= 0
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder()
                .AddRetry(new RetryStrategyOptions
                {
                    ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                    MaxRetryAttempts = settings.Retries,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(200),
                    MaxDelay = TimeSpan.FromSeconds(5),
                })
                .Build();
    }

    public async Task<T> RunAsync<T>(string what, Func<CancellationToken, Task<T>> request, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(async token => await request(token), cancellationToken);
        }
        catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw new ArtifactStoreUnavailableException($"The artifact store ({_where}) failed to {what}: {ex.Message}", ex);
        }
        catch (AmazonS3Exception ex) when (Misconfiguration(ex) is { } wrong)
        {
            throw new ArtifactStoreUnavailableException($"The artifact store ({_where}) {wrong}", ex);
        }
    }

    /// <summary>What is wrong with the settings when <paramref name="ex"/> says the bucket or the credentials are, else null.</summary>
    private static string? Misconfiguration(AmazonS3Exception ex) => ex switch
    {
        { ErrorCode: "NoSuchBucket" } => "has no such bucket: create it, or set Artifacts:S3:Bucket to one that exists.",
        { StatusCode: HttpStatusCode.Forbidden } => $"refused the credentials or the request ({ex.ErrorCode}: {ex.Message}): check " +
            "Artifacts:S3:AccessKey and Artifacts:S3:SecretKey (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and the bucket's permissions.",
        _ => null,
    };

    public Task RunAsync(string what, Func<CancellationToken, Task> request, CancellationToken cancellationToken)
        => RunAsync(what, async token =>
        {
            await request(token);
            return true;
        }, cancellationToken);

    /// <summary>Whether another try may meet a different outcome.</summary>
    public static bool IsTransient(Exception ex) => ex switch
    {
        AmazonServiceException service when service.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout
            || (int)service.StatusCode >= 500 => true,
        HttpRequestException or SocketException or TimeoutException => true,
        // The SDK's own timeout (not a cancellation asked for by the caller, which RunAsync lets through).
        TaskCanceledException => true,
        IOException and not FileNotFoundException => true,
        _ => ex.InnerException is { } inner && IsTransient(inner),
    };
}
