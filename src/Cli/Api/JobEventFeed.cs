using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Shears.Cli.Api;

/// <summary>
/// A job's events, live, from the start to its final status. When the connection drops it reconnects with
/// <c>Last-Event-ID</c>, so nothing is missed or repeated; it gives up after <see cref="MaxReconnects"/>
/// attempts in a row that brought no event.
/// </summary>
public sealed class JobEventFeed(ShearsClient client, TimeSpan? reconnectDelay = null)
{
    public const int MaxReconnects = 10;

    private readonly TimeSpan _reconnectDelay = reconnectDelay ?? TimeSpan.FromSeconds(1);

    public async IAsyncEnumerable<JobEvent> ReadAsync(Guid jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long lastEventId = 0;
        var failures = 0;
        while (true)
        {
            Exception? error = null;
            var response = await TryOpenAsync(jobId, lastEventId, e => error = e, cancellationToken);
            if (response is not null)
            {
                using (response)
                {
                    await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                    await using var items = SseParser.Create(body).EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
                    while (await TryMoveNextAsync(items, e => error = e, cancellationToken))
                    {
                        var jobEvent = Parse(items.Current);
                        (failures, lastEventId) = (0, jobEvent.Id);
                        yield return jobEvent;
                        if (jobEvent.IsFinalStatus)
                        {
                            yield break;
                        }
                    }
                }
            }
            if (++failures > MaxReconnects)
            {
                throw new HttpRequestException($"The event stream of job {jobId} kept breaking off ({MaxReconnects} reconnects).", error);
            }
            await Task.Delay(_reconnectDelay * Math.Min(failures, 5), cancellationToken);
        }
    }

    private async Task<HttpResponseMessage?> TryOpenAsync(Guid jobId, long lastEventId, Action<Exception> failed, CancellationToken cancellationToken)
    {
        try
        {
            return await client.OpenEventsAsync(jobId, lastEventId, cancellationToken);
        }
        catch (Exception ex) when (IsConnectionLoss(ex, cancellationToken))
        {
            failed(ex);
            return null;
        }
    }

    private static async Task<bool> TryMoveNextAsync(IAsyncEnumerator<SseItem<string>> items, Action<Exception> failed, CancellationToken cancellationToken)
    {
        try
        {
            return await items.MoveNextAsync();
        }
        catch (Exception ex) when (IsConnectionLoss(ex, cancellationToken))
        {
            failed(ex);
            return false;
        }
    }

    private static bool IsConnectionLoss(Exception ex, CancellationToken cancellationToken)
        => ex is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested;

    private static JobEvent Parse(SseItem<string> item) => new(
        long.Parse(item.EventId ?? "0", CultureInfo.InvariantCulture),
        item.EventType,
        JsonDocument.Parse(item.Data).RootElement.Clone());
}
