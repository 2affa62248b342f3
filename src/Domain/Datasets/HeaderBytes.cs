namespace Shears.Domain.Datasets;

/// <summary>Reads the fixed-size parts of a file header, naming the file when it ends too early.</summary>
public static class HeaderBytes
{
    public static void ReadExactly(Stream stream, Span<byte> buffer, string fileName, string format)
    {
        if (stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) < buffer.Length)
        {
            throw new InvalidDatasetException($"{fileName}: the file ends inside its {format} header; it is truncated.");
        }
    }
}
