using System.Globalization;
using Shears.Worker.Engine;

namespace Shears.Worker.Jobs;

/// <summary>
/// What a job that ran to its end warns about, in its result and its events: a pruned network whose held-out accuracy
/// fell near chance or far below the original's (a job can train a network into the ground and still meet its target),
/// and one that measured slower in ONNX Runtime than the original (pruning that did not pay).
/// </summary>
public static class JobWarnings
{
    /// <summary>Held-out accuracy up to this many times chance (1 / classes) is near chance.</summary>
    public const double NearChanceFactor = 2.0;

    /// <summary>A drop of more than this (a fraction: 0.15 is 15 points) below the original's accuracy is far below.</summary>
    public const double FarBelowDrop = 0.15;

    /// <summary>The pruned network measures slower when its side-by-side latency exceeds the original's by more than this share (the noise).</summary>
    public const double SlowerMargin = 0.05;

    public static IReadOnlyList<string> For(NetworkMetrics before, NetworkMetrics after, int classes)
    {
        var warnings = new List<string>();
        // Without labels there is no accuracy to fall (the agreement figures tell how close the pruned network stays).
        if (before.Accuracy is { } original && after.Accuracy is { } pruned)
        {
            var chance = 1.0 / Math.Max(classes, 1);
            if (pruned <= NearChanceFactor * chance && original > NearChanceFactor * chance)
            {
                warnings.Add(Text($"The pruned network's held-out accuracy, {Percent(pruned)}, is near chance ({Percent(chance)} for {classes} classes; the original's is {Percent(original)}): it no longer does what the original did. Lower options.learningRate, fine-tune longer, or keep more of the network."));
            }
            else if (original - pruned > FarBelowDrop)
            {
                warnings.Add(Text($"The pruned network's held-out accuracy, {Percent(pruned)}, is {100 * (original - pruned):F1} points below the original's ({Percent(original)}). Fine-tune longer (options.epochs), or keep more of the network."));
            }
        }
        if (after.LatencyMs > before.LatencyMs * (1 + SlowerMargin))
        {
            warnings.Add(Text($"The pruned network measured slower in ONNX Runtime than the original ({after.LatencyMs:F3} ms against {before.LatencyMs:F3} ms at batch {PruningEngine.LatencyBatch}, side by side): its widths run on slower kernels. Try options.channelMultiple, or method fisher with options.cost latency."));
        }
        return warnings;
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Percent(double fraction) => (100 * fraction).ToString("F1", CultureInfo.InvariantCulture) + "%";
}
