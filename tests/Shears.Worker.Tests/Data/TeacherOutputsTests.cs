using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Testing;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Training;
using Shears.Worker.Tests.Zoo;
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

    /// <summary>
    /// Run on every batch (what augmented batches need), the teacher gives the loss and gradients of the teacher recorded
    /// per row, and it builds no autograd graph: its outputs need no gradient and hang off no graph node. LeNet-5 (max
    /// pooling, which runs without indices then) and the zoo's vit (a transformer, its written-out LayerNorms and GELUs fused).
    /// </summary>
    [Theory]
    [InlineData("lenet5")]
    [InlineData("vit")]
    public void A_teacher_run_on_every_batch_gives_the_recorded_teachers_loss_and_gradients_without_an_autograd_graph(string network)
    {
        var dataset = network == "lenet5" ? Fixtures.Train2k(500) : ZooNetworks.Data(network);
        var graph = PruningEngine.ParseGraph(network == "lenet5" ? Fixtures.Network(network) : ZooNetworks.Network(network), dataset);
        var options = new PruningOptions { BatchSize = 50, ValidationFraction = 0, Objective = Objective.Distill };
        using var data = new TrainingData(dataset, graph.Inputs, options, CPU);
        using var recordedStudent = new GraphModule(graph, CPU);
        using var runStudent = new GraphModule(graph, CPU);
        using var recorded = new Objective(recordedStudent, data, options);
        using var run = new Objective(runStudent, data, options, maxRecordedBytes: 0);
        Assert.True(recorded.Teacher!.Recorded);
        Assert.False(run.Teacher!.Recorded);
        using var scope = NewDisposeScope();
        using (no_grad()) // the same students, away from the teacher (an untrained copy of it has loss and gradients 0)
            foreach (var (name, parameter) in recordedStudent.Parameters)
            {
                var step = randn_like(parameter).mul_(0.05);
                parameter.add_(step);
                runStudent.Parameters[name].add_(step);
            }

        var batch = data.NextTrainBatch();
        var targets = run.Teacher.For(batch);
        Assert.All(targets, t => Assert.False(t.requires_grad));
        Assert.All(targets, t => Assert.True(t.is_leaf));
        var (recordedLoss, recordedGradients) = LossAndGradients(recordedStudent, recorded, batch);
        var (runLoss, runGradients) = LossAndGradients(runStudent, run, batch);

        Assert.True(recordedLoss > 1e-3, $"loss {recordedLoss}");
        Assert.Equal(recordedLoss, runLoss, recordedLoss * 1e-5);
        Assert.Equal(recordedGradients.Length, runGradients.Length);
        var largest = recordedGradients.Max(Math.Abs);
        Assert.All(recordedGradients.Zip(runGradients), p => Assert.Equal(p.First, p.Second, largest * 1e-4));
    }

    private static (double Loss, float[] Gradients) LossAndGradients(GraphModule student, Objective objective, Batch batch)
    {
        student.train();
        student.zero_grad();
        var loss = objective.Loss(student.Run(batch.Inputs), batch);
        loss.backward();
        return (loss.item<float>(), [.. student.Parameters.Values.SelectMany(p => p.grad!.data<float>().ToArray())]);
    }
}
