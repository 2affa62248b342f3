namespace Shears.Api.Tests.Infrastructure;

/// <summary>
/// An SSE client that survives: whenever its stream breaks (or it drops the stream itself), it reconnects with
/// <c>Last-Event-ID</c> set to the last event it got, until the job's final status arrives.
/// </summary>
internal sealed class ResumingEventReader(HttpClient client, Guid jobId) : IDisposable
{
    private static readonly HashSet<string> FinalStatuses = ["succeeded", "failed", "cancelled"];
    private CancellationTokenSource _current = new();

    public List<ServerSentEvent> Events { get; } = [];

    /// <summary>Connections that ended before the final status (broken by the server, or dropped on purpose).</summary>
    public int Resumes { get; private set; }

    public List<string> Errors { get; } = [];

    /// <summary>Drops the current connection now, as a client on a flaky network would; reading resumes from the last event.</summary>
    public void Drop() => _current.Cancel();

    public async Task ReadToEndAsync(TimeSpan timeout, Func<ServerSentEvent, Task>? onEvent = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!IsFinished)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"no final status after {timeout}; {Events.Count} events, errors: {string.Join(" | ", Errors)}");
            }
            _current.Dispose();
            _current = new CancellationTokenSource();
            try
            {
                await client.ReadEventsAsync(jobId, remaining, Events.Count > 0 ? Events[^1].Id : null, async e =>
                {
                    Events.Add(e);
                    await (onEvent?.Invoke(e) ?? Task.CompletedTask);
                }, _current.Token);
            }
            catch (Exception ex) when (ex is not TimeoutException)
            {
                Errors.Add($"{ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
            }
            if (!IsFinished)
            {
                Resumes++;
                await Task.Delay(500);
            }
        }
    }

    public void Dispose() => _current.Dispose();

    private bool IsFinished => Events.Count > 0 && Events[^1].Type == "status" && FinalStatuses.Contains(Events[^1].Json.GetProperty("status").GetString()!);
}
