namespace Shears.Api.Tests.Fuzz;

/// <summary>Byte-level damage shared by the model and dataset corpora; all randomness comes from the caller's seeded <see cref="Random"/>.</summary>
internal static class Mutations
{
    public static byte[] Truncate(Random random, byte[] bytes) => bytes[..random.Next(0, bytes.Length)];

    public static byte[] FlipBits(Random random, byte[] bytes, int flips)
    {
        var copy = (byte[])bytes.Clone();
        for (var i = 0; i < flips; i++)
        {
            copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        }
        return copy;
    }

    /// <summary>Overwrites a random run of bytes with random bytes, 0x00 or 0xFF.</summary>
    public static byte[] Smash(Random random, byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        var start = random.Next(copy.Length);
        var length = Math.Min(copy.Length - start, random.Next(1, 64));
        var fill = random.Next(3);
        for (var i = start; i < start + length; i++)
        {
            copy[i] = fill switch { 0 => 0x00, 1 => 0xFF, _ => (byte)random.Next(256) };
        }
        return copy;
    }

    public static byte[] RandomBytes(Random random, int maxLength)
    {
        var bytes = new byte[random.Next(0, maxLength)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A name a hostile client might send, meant to escape a folder or confuse a parser.</summary>
    public static string PathLikeName(Random random) => random.Next(10) switch
    {
        0 => "../../../../etc/passwd",
        1 => "..\\..\\windows\\win.ini",
        2 => "/tmp/shears-escape",
        3 => "C:\\temp\\x.onnx",
        4 => "a/../../b%00.onnx",
        5 => new string('x', 1500),
        6 => "%2e%2e%2f%2e%2e%2fetc",
        7 => "~/.ssh/id_rsa",
        8 => "con:aux|nul<>\"*?",
        _ => "ok name ☃ ünïcode.onnx",
    };
}
