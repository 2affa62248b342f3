using Shears.Domain.Graph;

namespace Shears.Worker.Engine.Methods;

/// <summary>
/// Once a method has reached its target: puts back removed channels, a group at a time up to its next allowed width,
/// while the target stays met, the most value per cost first (value: the method's score of each channel, higher is more
/// worth keeping; channels of no value stay out). When the last removal had to be a whole block, a method ends far below
/// its target (magnitude took the small ResNet to 40% of its FLOPs for 50%, Fisher LeNet-5 to 15% for 25%), and channels
/// taken before that block can come back.
/// </summary>
public static class TargetFill
{
    /// <summary>Returns how many channels came back.</summary>
    public static int PutBack(PruningSession session, IReadOnlyList<double[]> value)
    {
        var restored = 0;
        while (true)
        {
            var fitting = session.Groups
                .Select(g => (Group: g.Id, Channels: NextBack(session, g, value[g.Id])))
                .Where(c => c.Channels.Length > 0 && c.Channels.Sum(k => value[c.Group][k]) > 0 && session.Cost.StillReachedWithBack(c.Group, c.Channels.Length))
                .ToList();
            if (fitting.Count == 0)
                return restored;
            var best = fitting.MaxBy(c => c.Channels.Sum(k => value[c.Group][k]) / Math.Max(1e-12, session.Cost.CostChangeOfRemoving(c.Group, -c.Channels.Length)));
            foreach (var channel in best.Channels)
                session.Restore(best.Group, channel);
            restored += best.Channels.Length;
        }
    }

    /// <summary>The group's most valuable removed channels that take it to its next allowed width up (none when it cannot widen).</summary>
    private static int[] NextBack(PruningSession session, ChannelGroup group, double[] value)
    {
        var kept = session.Cost.KeptChannels[group.Id];
        var count = session.Cost.AllowedWidthAtLeast(group.Id, kept + 1) - kept;
        var removed = Enumerable.Range(0, group.Channels).Where(k => !session.Masks.Kept[group.Id][k]).OrderByDescending(k => value[k]).Take(count).ToArray();
        return count > 0 && removed.Length == count ? removed : [];
    }
}
