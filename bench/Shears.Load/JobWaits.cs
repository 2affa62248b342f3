using Shears.Cli.Api;

namespace Shears.Load;

/// <summary>Polls jobs until each has a final status, or the deadline passes.</summary>
internal static class JobWaits
{
    public static async Task<Dictionary<Guid, string>> FinalStatusesAsync(ShearsClient client, IReadOnlyCollection<Guid> ids, TimeSpan deadline)
    {
        var statuses = new Dictionary<Guid, string>();
        using var timeout = new CancellationTokenSource(deadline);
        while (!timeout.IsCancellationRequested)
        {
            foreach (var id in ids.Where(id => !statuses.ContainsKey(id)))
            {
                var status = (await client.GetJobAsync(id, CancellationToken.None)).GetProperty("status").GetString()!;
                if (status is "succeeded" or "failed" or "cancelled")
                    statuses[id] = status;
            }
            if (statuses.Count == ids.Count)
                break;
            await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None);
        }
        return statuses;
    }
}
