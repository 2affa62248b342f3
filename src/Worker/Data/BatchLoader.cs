using System.Threading.Channels;

namespace Shears.Worker.Data;

/// <summary>
/// Training batches read from the sources of a dataset's graph inputs (<see cref="SampleColumn"/>) ahead of the training loop: background tasks build the next
/// batches (read, decode, augment) while the current one trains, at most <c>prefetch</c> waiting, so memory holds a few
/// batches whatever the dataset's size. The order is fixed by the seed: each epoch a seeded shuffle of the training rows
/// (last partial batch dropped), each sample's augmentation seeded by (seed, epoch, row); so batch k is the same whichever
/// thread builds it, and a loader started at batch k (a resumed job) continues exactly where another left off.
/// </summary>
public sealed class BatchLoader : IDisposable
{
    private readonly IReadOnlyList<SampleColumn> _columns;
    private readonly int[] _trainRows;
    private readonly long[]? _labels;
    private readonly int _batchSize;
    private readonly int _seed;
    private readonly bool _augment;
    private readonly Channel<Task<HostBatch>> _ready;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _producer;
    private int[]? _epochOrder;
    private long _orderEpoch = -1;

    public BatchLoader(IReadOnlyList<SampleColumn> columns, IReadOnlyList<int> trainRows, long[]? labels, int batchSize, int seed, bool augment,
        long firstBatch = 0, int prefetch = 4)
    {
        (_columns, _trainRows, _labels, _batchSize, _seed, _augment) = (columns, [.. trainRows], labels, batchSize, seed, augment);
        StepsPerEpoch = _trainRows.Length / batchSize;
        if (StepsPerEpoch < 1)
        {
            throw new ArgumentException($"{_trainRows.Length} training rows do not fill one batch of {batchSize}.", nameof(batchSize));
        }
        _ready = Channel.CreateBounded<Task<HostBatch>>(new BoundedChannelOptions(prefetch) { SingleReader = true, SingleWriter = true });
        _producer = Task.Run(() => ProduceAsync(firstBatch, _stop.Token));
    }

    public int StepsPerEpoch { get; }

    /// <summary>The next batch, waiting for it if the background tasks are behind; rethrows what failed building it.</summary>
    public HostBatch Next()
    {
        var built = _ready.Reader.ReadAsync(_stop.Token).AsTask().GetAwaiter().GetResult();
        return built.GetAwaiter().GetResult();
    }

    /// <summary>Builds batch <paramref name="index"/> of the whole run (epoch = index / steps per epoch), here and now.</summary>
    public HostBatch Build(long index)
    {
        var epoch = index / StepsPerEpoch;
        var order = EpochOrder(epoch);
        var rows = order.AsSpan((int)(index % StepsPerEpoch) * _batchSize, _batchSize).ToArray();
        return SampleReading.Read(_columns, rows, _labels, row => _augment ? SampleSeed.For(_seed, epoch, row) : null);
    }

    private int[] EpochOrder(long epoch)
    {
        lock (_trainRows)
        {
            if (_orderEpoch != epoch)
            {
                var order = (int[])_trainRows.Clone();
                new Random((int)SampleSeed.Mix((ulong)(uint)_seed ^ SampleSeed.Mix((ulong)epoch + 1))).Shuffle(order);
                (_epochOrder, _orderEpoch) = (order, epoch);
            }
            return _epochOrder!;
        }
    }

    private async Task ProduceAsync(long first, CancellationToken stop)
    {
        try
        {
            for (var index = first; !stop.IsCancellationRequested; index++)
            {
                var batch = index;
                await _ready.Writer.WriteAsync(Task.Run(() => Build(batch), stop), stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _producer.Wait();
        }
        catch (AggregateException)
        {
        }
        while (_ready.Reader.TryRead(out var pending))
        {
            pending.ContinueWith(t => _ = t.Exception, TaskScheduler.Default); // observed, so a failed decode after the end is not unobserved
        }
        _stop.Dispose();
    }
}
