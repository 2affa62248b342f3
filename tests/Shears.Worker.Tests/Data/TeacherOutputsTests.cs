using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Testing;
using Shears.Worker.Data;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Training;
using SkiaSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Tests.Data;

/// <summary>The teacher of distillation sees the batch the student trains on, augmented or not.</summary>
public sealed class TeacherOutputsTests
{
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void The_teacher_outputs_of_a_training_batch_are_the_original_network_run_on_that_batch(bool augment, bool recorded)
    {
        var archive = SyntheticImages.Tar(SyntheticImages.ClassFolders(2, 12, 30, 24, SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg));
        var files = new StoredDatasetFiles(() => new MemoryStream(archive), "set.tar", null, null);
        var graph = OnnxGraph.Parse(Fixtures.Network("tiny_cnn"));
        var options = new PruningOptions { BatchSize = 8, ValidationFraction = 0.25, Augment = augment };
        using var data = new TrainingData(new JobDataset.Stored(files), graph.Inputs, options, CPU);
        using var module = new GraphModule(graph, CPU);
        using var teacher = new TeacherOutputs(module, data);
        Assert.Equal(augment, data.AugmentsTraining);
        Assert.Equal(recorded, teacher.Recorded);

        module.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (var step = 0; step < 5; step++) // two epochs: an augmented row's second crop differs from its first
        {
            var batch = data.NextTrainBatch();
            var expected = module.Run(batch.Inputs)[0];
            var actual = teacher.For(batch)[0];
            Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-5), $"step {step}: largest difference {actual.sub(expected).abs().max().item<float>()}");
        }
    }
}
