using Npgsql;
using Polly;
using Polly.Retry;
using Shears.Domain.Persistence;

namespace Shears.Api.Events;

/// <summary>
/// Distributed mode: LISTENs on the job-events channel (a trigger NOTIFYs on every insert, from any worker)
/// and wakes the SSE streams of that job. Reconnects on its own after the database restarts, and then wakes
/// every stream so nothing written while it was away is waited for.
/// </summary>
public sealed partial class PostgresJobEventListener(DatabaseSettings database, JobEventSignal signal, ILogger<PostgresJobEventListener> logger)
    : BackgroundService
{
    private ResiliencePipeline Reconnect() => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(500),
            MaxDelay = TimeSpan.FromSeconds(10),
            OnRetry = args =>
            {
                LogReconnecting(args.Outcome.Exception);
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Reconnect().ExecuteAsync(ListenAsync, stoppingToken).AsTask();

    private async ValueTask ListenAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(database.PostgresConnectionString);
        await connection.OpenAsync(cancellationToken);
        connection.Notification += (_, notification) =>
        {
            if (Guid.TryParse(notification.Payload, out var jobId))
            {
                signal.Notify(jobId);
            }
        };
        await using (var listen = new NpgsqlCommand($"LISTEN {ShearsDbContext.JobEventsChannel}", connection))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken);
        }
        signal.NotifyAll();
        while (true)
        {
            await connection.WaitAsync(cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the job-events LISTEN connection; reconnecting")]
    private partial void LogReconnecting(Exception? ex);
}
