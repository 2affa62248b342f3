using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Shears.Domain.Persistence;

namespace Shears.Worker.Hosting;

/// <summary>
/// Checks the artifact store once at start and logs what is wrong with it (a missing bucket, refused credentials, an
/// unreachable server), so that a misconfiguration is seen when the process starts rather than at the first upload or
/// job. The process keeps running: the store may come up later, and the Api's /readyz reports it meanwhile.
/// </summary>
public sealed partial class ArtifactStoreStartupCheck(IArtifactStore store, ILogger<ArtifactStoreStartupCheck> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await store.CheckAsync(stoppingToken);
        }
        catch (ArtifactStoreUnavailableException ex)
        {
            LogUnusable(ex.Message);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            LogUnusable(ex); // never stops the host: the store may be fixed while the process runs
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The artifact store cannot be used: {Reason}")]
    private partial void LogUnusable(string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The artifact store cannot be used")]
    private partial void LogUnusable(Exception ex);
}
