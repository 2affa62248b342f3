using System.IO.Compression;

namespace Shears.Domain.Datasets;

/// <summary>
/// A NumPy .npz file: a zip archive of .npy files, one per named array (numpy.savez). Only numeric .npy members are
/// read; an object array (which only a pickle restores) or any other member is refused, and nothing is ever unpickled.
/// </summary>
public static class NpzArchive
{
    private static ReadOnlySpan<byte> ZipMagic => "PK\u0003\u0004"u8;

    public static bool HasMagic(ReadOnlySpan<byte> head) => head.StartsWith(ZipMagic);

    /// <summary>
    /// True when <paramref name="seekable"/> is a zip whose every member is a top-level .npy file: a .npz of arrays (what
    /// numpy.savez writes), not an archive of images. Leaves the position wherever reading the directory put it.
    /// </summary>
    public static bool HoldsOnlyArrays(Stream seekable)
    {
        try
        {
            using var archive = new ZipArchive(seekable, ZipArchiveMode.Read, leaveOpen: true);
            return archive.Entries.Count > 0 && archive.Entries.All(IsArray);
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    private static bool IsArray(ZipArchiveEntry entry) => entry.FullName.EndsWith(".npy", StringComparison.Ordinal) && !entry.FullName.Contains('/');

    /// <summary>
    /// The archive's members as (array name, opener), in stored order. <paramref name="seekable"/> must be seekable
    /// (uploads are read from the artifact store's files). The opened streams count against the limits' decoded bytes, all members together.
    /// </summary>
    public static IReadOnlyList<(string Name, Func<Stream> Open)> Members(Stream seekable, string fileName, DatasetLimits limits)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(seekable, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDatasetException($"{fileName}: starts like a .npz (zip) archive but is not one ({e.Message}); upload IDX, .npy or .npz (numpy.savez) files.");
        }
        var budget = new DecodedBudget(limits.MaxDecodedBytes);
        var members = new List<(string, Func<Stream>)>();
        foreach (var entry in archive.Entries)
        {
            if (!IsArray(entry))
            {
                throw new InvalidDatasetException(
                    $"{fileName}: the archive holds '{entry.FullName}', which is not a .npy array; a .npz must hold only arrays saved by numpy.savez.");
            }
            members.Add((entry.FullName[..^4], () => budget.Wrap(OpenEntry(entry, fileName), $"{fileName}:{entry.FullName}")));
        }
        if (members.Count == 0)
            throw new InvalidDatasetException($"{fileName}: the .npz archive holds no arrays.");
        return members;
    }

    private static Stream OpenEntry(ZipArchiveEntry entry, string fileName)
    {
        try
        {
            return entry.Open();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDatasetException($"{fileName}: member '{entry.FullName}' cannot be read ({e.Message}); save the archive again with numpy.savez.");
        }
    }

    /// <summary>What all members of one archive may decode to together: a zip of many small bombs is caught as one.</summary>
    private sealed class DecodedBudget(long maxBytes)
    {
        private readonly long max = maxBytes;
        private long used;

        public Stream Wrap(Stream member, string name) => new CountingStream(member, this, name);

        private sealed class CountingStream(Stream inner, DecodedBudget budget, string name) : ForwardOnlyReadStream
        {
            public override int Read(Span<byte> buffer)
            {
                int n;
                try
                {
                    n = inner.Read(buffer);
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDatasetException($"{name}: the compressed data is corrupt ({e.Message}).");
                }
                budget.used += n;
                if (budget.used > budget.max)
                {
                    throw new InvalidDatasetException(
                        $"{name}: the archive decodes to more than {budget.max:N0} bytes, the limit for one dataset file. Upload a smaller dataset.");
                }
                return n;
            }

            protected override void Dispose(bool disposing)
            {
                if (disposing) inner.Dispose();
                base.Dispose(disposing);
            }
        }
    }
}
