using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shears.Api.Auth;
using Shears.Domain.Persistence;
using Shears.Api.Swagger;

namespace Shears.Api.Apis;

/// <summary>
/// <c>GET /v1/jobs/{id}/events</c>: the job's event log as Server-Sent Events. Replays what follows
/// <c>Last-Event-ID</c>, then follows live (woken by LISTEN/NOTIFY or the in-process signal) and ends after
/// the final <c>status</c> event.
/// </summary>
public static class JobEventsApi
{
    private const int BatchSize = 500;
    /// <summary>Looks again even without a wake-up, in case a notification was lost with a connection.</summary>
    private static readonly TimeSpan FallbackPoll = TimeSpan.FromSeconds(5);

    public static RouteGroupBuilder MapJobEventsApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/jobs/{id:guid}/events", StreamAsync).WithTags("Jobs").RefusesWith(StatusCodes.Status404NotFound)
            .WithSummary("Progress, log and status events (SSE); send Last-Event-ID to resume.");
        return v1;
    }

    public static async Task<Results<ServerSentEventsResult<string>, ProblemHttpResult>> StreamAsync(Guid id, HttpRequest request,
        long? lastEventId, ShearsDbContext db, IDbContextFactory<ShearsDbContext> contexts, JobEventSignal signal, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        if (!await db.Jobs.OwnedBy(user.TenantId()).AnyAsync(j => j.Id == id, cancellationToken))
        {
            return NotFound.Problem("job", id);
        }
        var after = long.TryParse(request.Headers["Last-Event-ID"], out var header) ? header : lastEventId ?? 0;
        return TypedResults.ServerSentEvents(ReadAsync(id, after, contexts, signal, cancellationToken));
    }

    private static async IAsyncEnumerable<SseItem<string>> ReadAsync(Guid jobId, long after, IDbContextFactory<ShearsDbContext> contexts,
        JobEventSignal signal, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var wake = signal.NextAsync(jobId);
            List<JobEvent> batch;
            bool jobIsFinal;
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            {
                // Status first: a job final at this point has all its events written (they commit together).
                jobIsFinal = (await db.Jobs.Where(j => j.Id == jobId).Select(j => j.Status).FirstOrDefaultAsync(cancellationToken)).IsFinal();
                batch = await db.JobEvents.AsNoTracking().Where(e => e.JobId == jobId && e.Sequence > after)
                    .OrderBy(e => e.Sequence).Take(BatchSize).ToListAsync(cancellationToken);
            }
            foreach (var jobEvent in batch)
            {
                after = jobEvent.Sequence;
                yield return new SseItem<string>(jobEvent.DataJson, jobEvent.Type.ToString().ToLowerInvariant())
                {
                    EventId = jobEvent.Sequence.ToString(CultureInfo.InvariantCulture),
                };
                if (IsFinalStatus(jobEvent))
                {
                    yield break;
                }
            }
            if (batch.Count == BatchSize)
            {
                continue;
            }
            if (jobIsFinal && batch.Count == 0)
            {
                yield break; // finished without a final status event (should not happen, but never hang a client)
            }
            await Task.WhenAny(wake, Task.Delay(FallbackPoll, cancellationToken));
        }
    }

    private static bool IsFinalStatus(JobEvent jobEvent)
    {
        if (jobEvent.Type != JobEventType.Status)
        {
            return false;
        }
        using var data = JsonDocument.Parse(jobEvent.DataJson);
        return data.RootElement.TryGetProperty("status", out var status)
            && Enum.TryParse<JobStatus>(status.GetString(), ignoreCase: true, out var value) && value.IsFinal();
    }
}
