using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Shears.Cli.Api;

namespace Shears.Cli.Tests;

/// <summary>
/// The CLI's event feed when connections break: a server that speaks the events contract (ids, Last-Event-ID
/// replay) but drops the first connection mid-stream and ends the second one early.
/// </summary>
public sealed class JobEventFeedTests : IAsyncLifetime
{
    private static readonly (string Type, string Data)[] Events =
    [
        ("status", """{"status":"queued","message":"Waiting for a worker."}"""),
        ("progress", """{"progress":0.2,"step":1,"totalSteps":3,"flops":0.8}"""),
        ("log", """{"message":"pruned a channel"}"""),
        ("progress", """{"progress":0.9,"step":3,"totalSteps":3,"flops":0.5}"""),
        ("status", """{"status":"succeeded","message":"Pruned network ready."}"""),
    ];

    private readonly List<string> _lastEventIds = [];
    private WebApplication? _app;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapGet("/v1/jobs/{id:guid}/events", ServeAsync);
        await _app.StartAsync();
    }

    /// <summary>Connection 1 sends two events and is cut off; connection 2 sends two and ends; connection 3 sends the rest.</summary>
    private async Task ServeAsync(HttpContext context)
    {
        var lastEventId = context.Request.Headers["Last-Event-ID"].ToString();
        int connection;
        lock (_lastEventIds)
        {
            _lastEventIds.Add(lastEventId);
            connection = _lastEventIds.Count;
        }
        context.Response.ContentType = "text/event-stream";
        var after = int.TryParse(lastEventId, out var id) ? id : 0;
        foreach (var sequence in Enumerable.Range(after + 1, connection == 3 ? Events.Length - after : 2))
        {
            var (type, data) = Events[sequence - 1];
            await context.Response.WriteAsync($"id: {sequence}\nevent: {type}\ndata: {data}\n\n");
            await context.Response.Body.FlushAsync();
        }
        if (connection == 1)
        {
            // Give the client time to read what was flushed: an abort sends a reset, and a reset can
            // discard bytes the client has not read yet, which would make it resume from the start.
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            context.Abort();
        }
    }

    [Fact]
    public async Task A_broken_stream_resumes_after_the_last_event_seen_with_nothing_missed_or_repeated()
    {
        using var client = new ShearsClient(_app!.Urls.Single(), apiKey: null);
        var events = new List<JobEvent>();
        await foreach (var jobEvent in new JobEventFeed(client, TimeSpan.FromMilliseconds(10)).ReadAsync(Guid.NewGuid(), CancellationToken.None))
        {
            events.Add(jobEvent);
        }
        Assert.Equal([1L, 2, 3, 4, 5], events.Select(e => e.Id));
        Assert.Equal(Events.Select(e => e.Type), events.Select(e => e.Type));
        Assert.Equal("succeeded", events[^1].Status);
        Assert.Equal(["", "2", "4"], _lastEventIds);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
