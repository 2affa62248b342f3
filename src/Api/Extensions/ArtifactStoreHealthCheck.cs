using Microsoft.Extensions.Diagnostics.HealthChecks;
using Shears.Domain.Persistence;

namespace Shears.Api.Extensions;

/// <summary>Ready when the artifact store can be used (see <see cref="IArtifactStore.CheckAsync"/>); else says why.</summary>
public sealed class ArtifactStoreHealthCheck(IArtifactStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.CheckAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (ArtifactStoreUnavailableException ex)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}
