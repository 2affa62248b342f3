using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Shears.Api.Auth;

namespace Shears.Api.Extensions;

/// <summary>
/// Per-tenant limits on the expensive calls: <c>RateLimits:UploadsPerMinute</c> [30] and <c>RateLimits:JobsPerMinute</c>
/// [30]. Beyond them the answer is 429 with <c>Retry-After</c>. Across tenants, at most
/// <c>RateLimits:ConcurrentJobWrites</c> [16] job writes and <c>RateLimits:ConcurrentUploads</c> [8] uploads run at
/// once; the others wait their turn: a burst of submissions queues instead of exhausting the database's connections.
/// </summary>
public static class RateLimitExtensions
{
    public const string UploadPolicy = "uploads";
    public const string JobPolicy = "jobs";

    public static IServiceCollection AddTenantRateLimits(this IServiceCollection services, IConfiguration configuration)
        => services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                context.HttpContext.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests.",
                    detail: $"Your API key has used its allowance for this kind of call; try again in {Math.Ceiling(retryAfter.TotalSeconds)} s.")
                    .ExecuteAsync(context.HttpContext);
            };
            limiter.GlobalLimiter = ConcurrentWrites(configuration.GetValue<int?>("RateLimits:ConcurrentJobWrites") ?? 16,
                configuration.GetValue<int?>("RateLimits:ConcurrentUploads") ?? 8);
            limiter.AddPolicy(UploadPolicy, PerTenantPerMinute(configuration.GetValue<int?>("RateLimits:UploadsPerMinute") ?? 30));
            limiter.AddPolicy(JobPolicy, PerTenantPerMinute(configuration.GetValue<int?>("RateLimits:JobsPerMinute") ?? 30));
        });

    private static Func<HttpContext, RateLimitPartition<string>> PerTenantPerMinute(int permits)
        => context => RateLimitPartition.GetFixedWindowLimiter(
            context.User.Identity?.IsAuthenticated == true ? context.User.TenantId() : "",
            _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });

    private static PartitionedRateLimiter<HttpContext> ConcurrentWrites(int jobWrites, int uploads)
        => PartitionedRateLimiter.Create<HttpContext, string>(context =>
        {
            if (!HttpMethods.IsPost(context.Request.Method))
                return RateLimitPartition.GetNoLimiter("");
            var (partition, permits) = context.Request.Path.StartsWithSegments("/v1/jobs") ? ("jobs", jobWrites) : ("uploads", uploads);
            return RateLimitPartition.GetConcurrencyLimiter(partition, _ => new ConcurrencyLimiterOptions
            {
                PermitLimit = permits,
                QueueLimit = 100_000,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            });
        });
}
