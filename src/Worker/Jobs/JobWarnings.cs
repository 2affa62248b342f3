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
        var chance = 1.0 / Math.Max(classes, 1);
        if (after.Accuracy <= NearChanceFactor * chance && before.Accuracy > NearChanceFactor * chance)
        {
            warnings.Add(Text($"The pruned network's held-out accuracy, {Percent(after.Accuracy)}, is near chance ({Percent(chance)} for {classes} classes; the original's is {Percent(before.Accuracy)}): it no longer does what the original did. Lower options.learningRate, fine-tune longer, or keep more of the network."));
        }
        else if (before.Accuracy - after.Accuracy > FarBelowDrop)
        {
            warnings.Add(Text($"The pruned network's held-out accuracy, {Percent(after.Accuracy)}, is {100 * (before.Accuracy - after.Accuracy):F1} points below the original's ({Percent(before.Accuracy)}). Fine-tune longer (options.epochs), or keep more of the network."));
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
