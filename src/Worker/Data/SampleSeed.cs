namespace Shears.Worker.Data;

/// <summary>
/// A random generator for one sample's augmentation, fixed by the job's seed, the epoch and the row alone, so batches
/// come out the same whichever loader thread builds them, and a resumed job sees the same crops and flips.
/// </summary>
public static class SampleSeed
{
    public static Random For(int seed, long epoch, int row) => new((int)Mix(Mix((ulong)(uint)seed ^ Mix((ulong)epoch)) ^ (ulong)(uint)row));

    /// <summary>SplitMix64's finaliser: nearby inputs give unrelated outputs.</summary>
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
