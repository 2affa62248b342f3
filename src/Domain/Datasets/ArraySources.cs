namespace Shears.Domain.Datasets;

/// <summary>One array file to read: the array's name, the name errors give it, and how to open it (once).</summary>
public sealed record ArraySource(string Name, string FileName, Func<Stream> Open);

/// <summary>
/// The array files of a dataset upload, not yet read: one IDX/.npy inputs file (named <see cref="DatasetArray.SingleName"/>)
/// or the members of a .npz or .safetensors file, and the labels (their own file, or the archive's array
/// <see cref="DatasetReader.LabelsArrayName"/>), if any. What reads them decides whether to hold or stream the values.
/// </summary>
public sealed record ArraySources(IReadOnlyList<ArraySource> Inputs, ArraySource? Labels, bool IsArchive)
{
    /// <summary>
    /// Finds the arrays in <paramref name="inputs"/> (and <paramref name="labels"/>); both streams stay open and must
    /// outlive the openers. A stream that cannot seek is copied into memory first (bounded by the limits).
    /// </summary>
    public static ArraySources Of(Stream inputs, string inputsFileName, Stream? labels, string? labelsFileName, DatasetLimits limits)
    {
        var labelsPart = labels is null ? null : new ArraySource(DatasetReader.LabelsArrayName, labelsFileName ?? "labels", () => new KeptOpenStream(labels));
        var seekable = Seekable(inputs, inputsFileName, limits);
        var head = new byte[4];
        var read = seekable.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        seekable.Position = 0;
        var archive = NpzArchive.HasMagic(head.AsSpan(0, read)) ? NpzArchive.Members(seekable, inputsFileName, limits)
            : SafetensorsArchive.HasMagic(seekable) ? SafetensorsArchive.Members(seekable, inputsFileName)
            : null;
        if (archive is null)
            return new ArraySources([new ArraySource(DatasetArray.SingleName, inputsFileName, () => new KeptOpenStream(seekable))], labelsPart, IsArchive: false);

        var members = archive.Select(m => new ArraySource(m.Name, $"{inputsFileName}:{m.Name}", m.Open)).ToList();
        var labelsArray = members.FirstOrDefault(m => m.Name == DatasetReader.LabelsArrayName);
        if (labelsArray is not null && labelsPart is not null)
        {
            throw new InvalidDatasetException(
                $"{inputsFileName} holds a '{DatasetReader.LabelsArrayName}' array and a labels file was uploaded too; give the labels once.");
        }
        var inputArrays = members.Where(m => m != labelsArray).ToList();
        if (inputArrays.Count == 0)
            throw new InvalidDatasetException($"{inputsFileName}: the archive holds only labels; add the input arrays, named like the network's inputs.");
        return new ArraySources(inputArrays, labelsArray ?? labelsPart, IsArchive: true);
    }

    /// <summary>The stream itself when it can seek (a stored file), else its bytes in memory (bounded by the limits).</summary>
    private static Stream Seekable(Stream stream, string fileName, DatasetLimits limits)
    {
        if (stream.CanSeek)
            return stream;
        var copy = new MemoryStream();
        new DecodedSizeLimitStream(new KeptOpenStream(stream), limits.MaxDecodedBytes, fileName).CopyTo(copy);
        copy.Position = 0;
        return copy;
    }
}
