using Shears.Domain.Datasets;
using Shears.Domain.Jobs;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Training;

namespace Shears.Worker.Tests;

/// <summary>
/// Label-free jobs on the task networks of tools/make_zoo.py: their .npz datasets have no labels, so every method
/// trains against the original network's outputs (objective distill) and the result is checked against the original.
/// </summary>
public class TaskNetworkPruningTests
{
    private static readonly PruningOptions QuickOptions = new() { Steps = 40, StepsPerPrune = 2, BatchSize = 50, ValidationFraction = 0.2 };

    public static Dataset Npz(string name)
    {
        using var file = File.OpenRead(Fixtures.PathOf($"{name}.npz"));
        return DatasetReader.Read(file, $"{name}.npz", null, null, new DatasetLimits());
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("two_input_regression", PruningMethod.Fisher)]
    [InlineData("two_input_regression", PruningMethod.L0)]
    [InlineData("two_input_regression", PruningMethod.Magnitude)]
    public void An_unlabeled_network_is_pruned_by_distillation_and_stays_close_to_the_original(string network, PruningMethod method)
    {
        var progress = new RecordingProgress();
        var options = method == PruningMethod.L0 ? QuickOptions with { Steps = 300 } : QuickOptions;
        var request = new PruneRequest(Fixtures.Network(network), Npz(network), method, new PruningTarget(0.5, null), options);

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 3, LatencyRounds: 2)).Run(request, progress, CancellationToken.None);

        Assert.Equal(Objective.Distill, outcome.Objective);
        Assert.True(outcome.After.Flops <= 0.5 * outcome.Before.Flops, $"FLOPs {outcome.Before.Flops} → {outcome.After.Flops}");
        Assert.Null(outcome.After.Accuracy);
        var agreement = Assert.Single(outcome.After.Agreement!);
        // [N, 4] counts as class scores (rank 2): distilled by the softened KL and compared by top-1 agreement too.
        Assert.True(agreement.Top1Agreement > 0.7, $"top-1 agreement {agreement.Top1Agreement}; {string.Join(" | ", progress.Logs)}");
        Assert.True(agreement.Cosine > 0.8, $"cosine {agreement.Cosine}, relative error {agreement.RelativeError}; {string.Join(" | ", progress.Logs)}");
        Assert.True(agreement.RelativeError < 0.6, $"relative error {agreement.RelativeError}; {string.Join(" | ", progress.Logs)}");
        Assert.Contains(progress.Logs, l => l.Contains("Objective: distill"));
    }

    /// <summary>
    /// The token network (int64 ids and mask into an embedding, masked mean pool, MLP): the embedding's width passes the
    /// mask and the mean over the tokens to the MLP, so it is a group beside the MLP's hidden units, and every method cuts them.
    /// Its [N, 16] output is an embedding but has rank 2, so it is distilled by the softened KL, which matches each row's
    /// softmax and leaves a shift of the row free: its cosine to the original is a loose check here, not two_input_regression's.
    /// </summary>
    [Theory]
    [Trait("Category", "Slow")]
    [InlineData(PruningMethod.Fisher)]
    [InlineData(PruningMethod.L0)]
    [InlineData(PruningMethod.Magnitude)]
    public void The_token_network_prunes_its_embedding_width_and_mlp_units_by_distillation(PruningMethod method)
    {
        var progress = new RecordingProgress();
        var request = new PruneRequest(Fixtures.Network("token_encoder"), Npz("token_encoder"), method, new PruningTarget(0.5, null), QuickOptions with { Steps = 300 });

        var outcome = new PruningEngine(new EngineSettings(Threads: 1, LatencyRepeats: 3, LatencyRounds: 2)).Run(request, progress, CancellationToken.None);

        var log = string.Join(" | ", progress.Logs);
        Assert.Equal(Objective.Distill, outcome.Objective);
        Assert.Equal(["/embedding/Gather", "/fc1/Gemm"], outcome.Layers.Select(l => l.Name));
        Assert.Contains(outcome.Layers, l => l.ChannelsAfter < l.ChannelsBefore);
        Assert.True(outcome.After.Flops <= 0.5 * outcome.Before.Flops, $"FLOPs {outcome.Before.Flops} → {outcome.After.Flops}; {log}");
        Assert.True(outcome.After.Params < outcome.Before.Params, log);
        var agreement = Assert.Single(outcome.After.Agreement!);
        Assert.True(agreement.Cosine > 0.3, $"cosine {agreement.Cosine}; {log}");
    }
}
