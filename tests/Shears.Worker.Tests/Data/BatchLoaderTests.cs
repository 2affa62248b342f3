using Shears.Domain.Datasets;
using Shears.Worker.Data;

namespace Shears.Worker.Tests.Data;

public sealed class BatchLoaderTests
{
    private const string Images = "fashion_test_1k-images-idx3-ubyte.gz";

    [Fact]
    public void An_IDX_file_read_a_row_at_a_time_gives_the_values_read_whole()
    {
        float[] whole;
        using (var file = File.OpenRead(Fixtures.PathOf(Images)))
        {
            whole = NumericArrayFile.Read(file, Images, new DatasetLimits()).ToFloats();
        }
        using var source = IdxSource();
        Assert.Equal(1000, source.Count);
        Assert.Equal([28L, 28], source.SampleShape);
        var row = new float[784];
        foreach (var index in new[] { 0, 1, 517, 999 })
        {
            source.Read(index, row, null);
            Assert.Equal(whole.Skip(index * 784).Take(784).Select(v => v * (float)(1.0 / 255.0)), row); // the scale TrainingData multiplies by
        }
    }

    [Fact]
    public void Every_epoch_is_a_fresh_shuffle_of_the_training_rows_in_whole_batches()
    {
        using var source = IdxSource();
        var rows = Enumerable.Range(100, 900).ToArray();
        using var loader = new BatchLoader(Columns(source), rows, labels: null, batchSize: 64, seed: 3, augment: false);
        Assert.Equal(14, loader.StepsPerEpoch);
        var epochs = Enumerable.Range(0, 2).Select(_ => Enumerable.Range(0, 14).SelectMany(_ => loader.Next().Rows).ToList()).ToList();
        Assert.All(epochs, epoch => Assert.Equal(14 * 64, epoch.Distinct().Count()));
        Assert.All(epochs, epoch => Assert.All(epoch, row => Assert.InRange(row, 100, 999)));
        Assert.NotEqual(epochs[0], epochs[1]);
    }

    [Fact]
    public void A_loader_started_at_batch_k_goes_on_exactly_as_one_that_drew_k_batches_whatever_the_prefetch()
    {
        using var source = IdxSource();
        var rows = Enumerable.Range(0, 1000).ToArray();
        var labels = Enumerable.Range(0, 1000).Select(i => (long)(i % 10)).ToArray();
        using var fromStart = new BatchLoader(Columns(source), rows, labels, 50, seed: 7, augment: true, prefetch: 1);
        var all = Enumerable.Range(0, 25).Select(_ => fromStart.Next()).ToList();
        using var resumed = new BatchLoader(Columns(source), rows, labels, 50, seed: 7, augment: true, firstBatch: 18, prefetch: 6);
        for (var k = 18; k < 25; k++)
        {
            var batch = resumed.Next();
            Assert.Equal(all[k].Rows, batch.Rows);
            Assert.Equal((float[])all[k].Inputs[0], (float[])batch.Inputs[0]);
            Assert.Equal(all[k].Labels, batch.Labels);
            Assert.Equal(batch.Rows.Select(r => (long)(r % 10)), batch.Labels!);
        }
    }

    [Fact]
    public void A_row_that_cannot_be_read_fails_the_batch_that_needs_it()
    {
        using var source = new FailingSource();
        using var loader = new BatchLoader(Columns(source), Enumerable.Range(0, 20).ToArray(), null, 10, seed: 1, augment: false);
        var error = Assert.Throws<InvalidDataException>(() => { loader.Next(); loader.Next(); });
        Assert.Contains("row 13", error.Message);
    }

    private static ArrayFileSource IdxSource()
    {
        using var file = File.OpenRead(Fixtures.PathOf(Images));
        return new ArrayFileSource(file, Images, scale: null);
    }

    private static SampleColumn[] Columns(ISampleSource source) => [new SampleColumn(source, source.SampleShape, null)];

    private sealed class FailingSource : ISampleSource
    {
        public int Count => 20;
        public long[] SampleShape => [2];

        public void Read(int row, Span<float> destination, Random? augmentation)
        {
            if (row == 13) throw new InvalidDataException("row 13 is corrupt");
            destination.Fill(row);
        }

        public void Dispose() { }
    }
}
