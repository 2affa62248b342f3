using Shears.Domain.Jobs;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using static TorchSharp.torch;

namespace Shears.Worker.Tests;

public class TrainingDataTests
{
    [Fact]
    public void Splits_by_seed_scales_bytes_and_shapes_samples_for_the_model()
    {
        var dataset = Fixtures.Test1k(200);
        var options = new PruningOptions { ValidationFraction = 0.25, BatchSize = 30, Seed = 5 };
        using var data = new TrainingData(dataset, Fixtures.FloatInput(-1, 1, 28, 28), options, CPU);
        using var again = new TrainingData(dataset, Fixtures.FloatInput(-1, 1, 28, 28), options, CPU);

        Assert.Equal(50, data.ValidationCount);
        Assert.Equal(150, data.TrainCount);
        Assert.Equal(5, data.StepsPerEpoch);
        var first = data.ValidationFloats(50, out var shape);
        Assert.Equal([50L, 1, 28, 28], shape);
        Assert.True(first.Max() <= 1f && first.Max() > 0.9f);
        Assert.Equal(first, again.ValidationFloats(50, out _));

        using var scope = NewDisposeScope();
        for (var step = 0; step < data.StepsPerEpoch; step++)
        {
            var batch = data.NextTrainBatch();
            Assert.Equal([30L, 1, 28, 28], batch.Inputs[0].shape);
            Assert.Equal(30, batch.Labels!.shape[0]);
        }
        Assert.Equal(1, data.Epoch);
    }

    [Fact]
    public void A_dataset_that_does_not_fit_the_model_input_is_refused()
    {
        var error = Assert.Throws<PruningFailedException>(() => new TrainingData(Fixtures.Test1k(10), Fixtures.FloatInput(-1, 3, 32, 32), new PruningOptions(), CPU));
        Assert.Contains("3, 32, 32", error.Message);
    }
}
