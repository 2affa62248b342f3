using Microsoft.Win32.SafeHandles;

namespace Shears.Worker.Data;

/// <summary>
/// A file in the temp folder that a loader writes once and then reads at any offset from any thread (positional reads,
/// no shared position); deleted when disposed.
/// </summary>
public sealed class LocalScratchFile : IDisposable
{
    private readonly FileStream _stream;
    private long _length;

    public LocalScratchFile(string purpose)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"shears-{purpose}-{Guid.NewGuid():N}.tmp");
        _stream = new FileStream(Path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
    }

    public string Path { get; }

    private SafeFileHandle Handle => _stream.SafeFileHandle;

    /// <summary>Appends <paramref name="bytes"/>; returns the offset they start at.</summary>
    public long Append(ReadOnlySpan<byte> bytes)
    {
        var offset = _length;
        RandomAccess.Write(Handle, bytes, offset);
        _length += bytes.Length;
        return offset;
    }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; safe to call from several threads at once.</summary>
    public void ReadAt(long offset, Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            var n = RandomAccess.Read(Handle, destination, offset);
            if (n == 0) throw new EndOfStreamException($"{Path} ends before offset {offset + destination.Length}.");
            destination = destination[n..];
            offset += n;
        }
    }

    public void Dispose() => _stream.Dispose();
}
