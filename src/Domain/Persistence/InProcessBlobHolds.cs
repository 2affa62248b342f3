namespace Shears.Domain.Persistence;

/// <summary><see cref="IBlobHolds"/> for one process (embedded mode: one Api and its in-process worker).</summary>
public sealed class InProcessBlobHolds : IBlobHolds
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _holds = [];
    private readonly Dictionary<string, Task> _deletions = [];

    public async Task<IAsyncDisposable> HoldAsync(string sha256, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task deletion;
            lock (_gate)
            {
                if (!_deletions.TryGetValue(sha256, out deletion!))
                {
                    _holds[sha256] = _holds.GetValueOrDefault(sha256) + 1;
                    return new Hold(this, sha256);
                }
            }
            await deletion.WaitAsync(cancellationToken);
        }
    }

    public async Task<bool> TryAloneAsync(string sha256, Func<CancellationToken, Task> deletion, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_holds.ContainsKey(sha256) || !_deletions.TryAdd(sha256, done.Task))
            {
                return false;
            }
        }
        try
        {
            await deletion(cancellationToken);
            return true;
        }
        finally
        {
            lock (_gate)
            {
                _deletions.Remove(sha256);
            }
            done.SetResult();
        }
    }

    private void Release(string sha256)
    {
        lock (_gate)
        {
            if (_holds[sha256] > 1)
            {
                _holds[sha256]--;
            }
            else
            {
                _holds.Remove(sha256);
            }
        }
    }

    private sealed class Hold(InProcessBlobHolds holds, string sha256) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                holds.Release(sha256);
            }
            return ValueTask.CompletedTask;
        }
    }
}
