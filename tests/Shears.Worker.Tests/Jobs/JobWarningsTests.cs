using Shears.Worker.Engine;
using Shears.Worker.Jobs;

namespace Shears.Worker.Tests.Jobs;

/// <summary>When a job warns: accuracy near chance or far below the original's, a network that runs slower.</summary>
public class JobWarningsTests
{
    private static NetworkMetrics Metrics(double accuracy, double latencyMs) => new(1000, 1000, accuracy, latencyMs);

    [Fact]
    public void A_pruned_network_as_good_and_faster_gets_no_warning()
        => Assert.Empty(JobWarnings.For(Metrics(0.98, 10), Metrics(0.925, 6), classes: 10));

    [Fact]
    public void Accuracy_near_chance_is_named_as_such_and_not_also_as_a_drop()
    {
        var warning = Assert.Single(JobWarnings.For(Metrics(0.85, 10), Metrics(0.16, 6), classes: 10));
        Assert.StartsWith("The pruned network's held-out accuracy, 16.0%, is near chance (10.0% for 10 classes; the original's is 85.0%)", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_drop_of_more_than_fifteen_points_is_far_below()
    {
        var warning = Assert.Single(JobWarnings.For(Metrics(0.85, 10), Metrics(0.60, 6), classes: 10));
        Assert.StartsWith("The pruned network's held-out accuracy, 60.0%, is 25.0 points below the original's (85.0%)", warning, StringComparison.Ordinal);
        Assert.Empty(JobWarnings.For(Metrics(0.85, 10), Metrics(0.71, 6), classes: 10));
    }

    [Fact]
    public void An_original_already_at_chance_gives_no_chance_warning()
        => Assert.Empty(JobWarnings.For(Metrics(0.12, 10), Metrics(0.11, 6), classes: 10));

    [Fact]
    public void A_pruned_network_that_measures_slower_beyond_the_noise_says_so()
    {
        var warning = Assert.Single(JobWarnings.For(Metrics(0.9, 10), Metrics(0.9, 12), classes: 10));
        Assert.StartsWith("The pruned network measured slower in ONNX Runtime than the original (12.000 ms against 10.000 ms at batch 64", warning, StringComparison.Ordinal);
        Assert.Empty(JobWarnings.For(Metrics(0.9, 10), Metrics(0.9, 10.4), classes: 10));
    }
}
