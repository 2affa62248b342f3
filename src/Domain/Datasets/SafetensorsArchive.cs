using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Shears.Domain.Datasets;

/// <summary>
/// A .safetensors file as a dataset's named arrays: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the raw data (the format of Hugging Face's safetensors; no code is ever run).
/// Each tensor is handed on as a .npy stream (a header written here, then its bytes), so the array readers check it like
/// any upload. The header is parsed here, with limits, rather than by a library: it is a few lines of JSON.
/// </summary>
public static class SafetensorsArchive
{
    /// <summary>Headers larger than this are refused (the format's own reference reader caps them at 100 MB).</summary>
    private const long MaxHeaderBytes = 16 * 1024 * 1024;

    private const string Metadata = "__metadata__";

    /// <summary>True when the stream starts like a safetensors file: a header length that fits the file, then '{'. Puts the position back.</summary>
    public static bool HasMagic(Stream seekable)
    {
        var head = new byte[9];
        var read = seekable.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        seekable.Position = 0;
        if (read < head.Length || head[8] != (byte)'{')
            return false;
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(head);
        return headerLength is > 1 and <= MaxHeaderBytes && (long)headerLength <= seekable.Length - 8;
    }

    /// <summary>The tensors as (array name, opener of a .npy stream), in the header's order.</summary>
    public static IReadOnlyList<(string Name, Func<Stream> Open)> Members(Stream seekable, string fileName)
    {
        var lengthBytes = new byte[8];
        seekable.Position = 0;
        seekable.ReadExactly(lengthBytes);
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        var headerBytes = new byte[headerLength];
        seekable.ReadExactly(headerBytes);
        var dataStart = 8 + headerLength;
        var dataLength = seekable.Length - dataStart;

        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new InvalidDatasetException($"{fileName}: the safetensors header is not valid JSON ({e.Message}).");
        }
        using (header)
        {
            if (header.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDatasetException($"{fileName}: the safetensors header must be a JSON object of tensors.");
            var members = new List<(string, Func<Stream>)>();
            foreach (var tensor in header.RootElement.EnumerateObject().Where(t => t.Name != Metadata))
            {
                var (descr, itemBytes, shape, begin, end) = Describe(tensor, fileName);
                var elements = shape.Aggregate(1L, (a, d) => checked(a * d));
                if (begin > end || end > dataLength || end - begin != elements * itemBytes)
                {
                    throw new InvalidDatasetException(
                        $"{fileName}: tensor '{tensor.Name}' claims bytes {begin}..{end} for {elements:N0} values of {itemBytes} bytes, which does not fit " +
                        $"the file's {dataLength:N0} bytes of data; save it again with safetensors.");
                }
                var npyHeader = NpyHeader(descr, shape);
                var start = dataStart + begin;
                var length = end - begin;
                members.Add((tensor.Name, () => new NpyOfRange(npyHeader, seekable, start, length)));
            }
            if (members.Count == 0)
                throw new InvalidDatasetException($"{fileName}: the safetensors file holds no tensors.");
            return members;
        }
    }

    private static (string Descr, int ItemBytes, long[] Shape, long Begin, long End) Describe(JsonProperty tensor, string fileName)
    {
        var value = tensor.Value;
        string Bad(string what) => $"{fileName}: tensor '{tensor.Name}' {what}; save it again with safetensors.";
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shapeJson) || shapeJson.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
        {
            throw new InvalidDatasetException(Bad("needs dtype, shape and data_offsets [begin, end]"));
        }
        var (descr, itemBytes) = dtype.GetString() switch
        {
            "F32" => ("<f4", 4),
            "F64" => ("<f8", 8),
            "I64" => ("<i8", 8),
            "I32" => ("<i4", 4),
            "I16" => ("<i2", 2),
            "I8" => ("|i1", 1),
            "U8" => ("|u1", 1),
            "BOOL" => ("|b1", 1),
            var other => throw new InvalidDatasetException(
                $"{fileName}: tensor '{tensor.Name}' is {other}, which Shears does not read; save inputs as F32, F64 or U8, ids and masks as I64, I32 or BOOL " +
                "(e.g. tensor.float() or tensor.long()).")
        };
        var shape = shapeJson.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out var n) && n >= 0 ? n : -1).ToArray();
        if (shape.Any(d => d < 0) || shape.Length > 8)
            throw new InvalidDatasetException(Bad("has a shape that is not a list of up to 8 non-negative integers"));
        var bounds = offsets.EnumerateArray().Select(o => o.ValueKind == JsonValueKind.Number && o.TryGetInt64(out var n) && n >= 0 ? n : -1).ToArray();
        if (bounds.Any(b => b < 0))
            throw new InvalidDatasetException(Bad("has data_offsets that are not two non-negative integers"));
        return (descr, itemBytes, shape, bounds[0], bounds[1]);
    }

    /// <summary>A .npy format 1.0 header for <paramref name="descr"/> and <paramref name="shape"/>, padded to 64 bytes as numpy writes it.</summary>
    private static byte[] NpyHeader(string descr, long[] shape)
    {
        var dims = string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}{(shape.Length == 1 ? "," : "")}), }}";
        var padded = dict.PadRight(((dict.Length + 11 + 63) / 64 * 64) - 11) + "\n";
        return [0x93, .. "NUMPY"u8, 1, 0, (byte)(padded.Length & 0xFF), (byte)(padded.Length >> 8), .. Encoding.Latin1.GetBytes(padded)];
    }

    /// <summary>The synthesized .npy header followed by one tensor's byte range of the file.</summary>
    private sealed class NpyOfRange(byte[] header, Stream file, long start, long length) : ForwardOnlyReadStream
    {
        private long position;

        public override int Read(Span<byte> buffer)
        {
            if (position < header.Length)
            {
                var n = Math.Min(buffer.Length, header.Length - (int)position);
                header.AsSpan((int)position, n).CopyTo(buffer);
                position += n;
                return n;
            }
            var offset = position - header.Length;
            if (offset >= length)
                return 0;
            file.Position = start + offset;
            var read = file.Read(buffer[..(int)Math.Min(buffer.Length, length - offset)]);
            position += read;
            return read;
        }
    }
}
