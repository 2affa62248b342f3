using System.Buffers.Binary;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests.Fuzz;

/// <summary>
/// Dataset uploads (parts <c>inputs</c> and <c>labels</c>) made in the test: small valid IDX/NPY pairs, then
/// headers that lie about their size, absurd dimensions, unknown types, gzip bombs, labels out of range,
/// NaN/Inf inputs, truncations and bit flips, odd multipart bodies and path-like file names.
/// </summary>
internal sealed class DatasetCorpus(Random random, long maxDecodedBytes)
{
    private const int Side = 8;
    private const int ZerosPerMember = 16 << 20;
    private static readonly Lazy<byte[]> GzippedZeros = new(() => Gzip(new byte[ZerosPerMember]));

    public IEnumerable<FuzzCase> Cases(int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return Next(i);
        }
    }

    private FuzzCase Next(int index)
    {
        var samples = random.Next(2, 40);
        var inputs = Idx.Raw(0x08, [samples, Side, Side], samples * Side * Side, i => (byte)random.Next(256));
        var labels = Idx.Raw(0x08, [samples], samples, i => (byte)random.Next(10));
        // The last expectation is the case's without its labels part (labels are optional): its inputs alone decide.
        var (label, inputsFile, labelsFile, expectation, withoutLabels) = random.Next(24) switch
        {
            0 or 1 => ("valid idx", inputs, labels, Expectation.Accepted, Expectation.Accepted),
            2 => ("valid gzipped idx", Gzip(inputs), Gzip(labels), Expectation.Accepted, Expectation.Accepted),
            3 => ("valid npy", Npy("|u1", [samples, Side * Side], inputs[(4 + 12)..]), Npy("<i8", [samples], Int64s(labels[8..])), Expectation.Accepted, Expectation.Accepted),
            4 or 5 => ("truncated inputs", Mutations.Truncate(random, inputs), labels, Expectation.Refused, Expectation.Refused),
            6 => ("truncated gzip", Mutations.Truncate(random, Gzip(inputs)), labels, Expectation.Refused, Expectation.Refused),
            7 or 8 => ("bit flips", Mutations.FlipBits(random, inputs, random.Next(1, 8)), Mutations.FlipBits(random, labels, random.Next(0, 2)), Expectation.Any, Expectation.Any),
            9 => ("header claims more samples", WithDim(inputs, 0, samples + random.Next(1, 1000)), labels, Expectation.Refused, Expectation.Refused),
            10 => ("header claims fewer samples", WithDim(inputs, 0, samples - 1), labels, Expectation.Refused, Expectation.Refused),
            11 => ("absurd dims", WithDim(inputs, random.Next(3), AbsurdDim()), labels, Expectation.Refused, Expectation.Refused),
            12 => ("unknown type or rank", WithTypeAndRank(inputs), labels, Expectation.Refused, Expectation.Refused),
            13 => ("gzip bomb", GzipBomb(), labels, Expectation.Refused, Expectation.Refused),
            14 => ("negative label", inputs, Idx.Raw(0x09, [samples], samples, i => i == samples / 2 ? (byte)0xFF : (byte)1), Expectation.Refused, Expectation.Accepted),
            15 => ("huge label", inputs, Idx.Raw(0x0C, [samples], samples * 4, Int32Label(samples, 2_000_000_000)), Expectation.Refused, Expectation.Accepted),
            16 => ("float labels", inputs, Idx.Raw(0x0D, [samples], samples * 4, i => 0), Expectation.Refused, Expectation.Accepted),
            17 => ("non-finite inputs", NonFiniteFloats(samples), labels, Expectation.Refused, Expectation.Refused),
            18 => ("npy shape lies", Npy("|u1", [samples + random.Next(1, 10_000_000), Side * Side], inputs[16..]), labels, Expectation.Refused, Expectation.Refused),
            19 => ("npy hostile header", NpyHostileHeader(), labels, Expectation.Refused, Expectation.Refused),
            20 => ("labels as inputs", labels, inputs, Expectation.Refused, Expectation.Any),
            21 => ("mismatched counts", inputs, Idx.Raw(0x08, [samples + 1], samples + 1, i => 1), Expectation.Refused, Expectation.Accepted),
            22 => ("empty files", [], [], Expectation.Refused, Expectation.Refused),
            _ => ("random bytes", Mutations.RandomBytes(random, 2048), Mutations.RandomBytes(random, 64), Expectation.Refused, Expectation.Refused),
        };
        var shape = random.Next(12);
        var name = random.Next(4) == 0 ? Mutations.PathLikeName(random) : $"fuzz-{index}";
        var inputsName = random.Next(3) == 0 ? Mutations.PathLikeName(random) : "inputs.idx";
        return shape switch
        {
            0 => new FuzzCase("dataset", $"{label}, labels part missing", withoutLabels, () => Multipart(name, ("inputs", inputsName, inputsFile))),
            1 => new FuzzCase("dataset", $"{label}, not multipart", Expectation.Refused, () => Raw(name, inputsFile)),
            2 => new FuzzCase("dataset", $"{label}, no boundary", Expectation.Refused, () => NoBoundary(name, inputsFile)),
            _ => new FuzzCase("dataset", label, expectation, () => Multipart(name, ("inputs", inputsName, inputsFile), ("labels", "labels.idx", labelsFile))),
        };
    }

    private static HttpRequestMessage Multipart(string name, params (string Part, string FileName, byte[] Bytes)[] parts)
    {
        var form = new MultipartFormDataContent();
        foreach (var (part, fileName, bytes) in parts)
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data")
            {
                Name = $"\"{part}\"",
                FileName = $"\"{fileName.Replace("\"", "", StringComparison.Ordinal)}\"",
            };
            form.Add(content);
        }
        return new HttpRequestMessage(HttpMethod.Post, $"/v1/datasets?name={Uri.EscapeDataString(name)}") { Content = form };
    }

    private static HttpRequestMessage Raw(string name, byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new HttpRequestMessage(HttpMethod.Post, $"/v1/datasets?name={Uri.EscapeDataString(name)}") { Content = content };
    }

    private static HttpRequestMessage NoBoundary(string name, byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data");
        return new HttpRequestMessage(HttpMethod.Post, $"/v1/datasets?name={Uri.EscapeDataString(name)}") { Content = content };
    }

    private static Func<int, byte> Int32Label(int samples, int huge)
    {
        var bytes = new byte[samples * 4];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 * (samples - 1)), huge);
        return i => bytes[i];
    }

    private byte[] NonFiniteFloats(int samples)
    {
        var count = samples * Side * Side;
        var data = new byte[count * 4];
        var bad = random.Next(count);
        float[] nonFinite = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteSingleBigEndian(data.AsSpan(4 * i), i == bad ? nonFinite[random.Next(3)] : 0.5f);
        }
        return Idx.Raw(0x0D, [samples, Side, Side], data.Length, i => data[i]);
    }

    private static byte[] WithDim(byte[] idx, int dim, long value)
    {
        var copy = (byte[])idx.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(4 + (4 * dim)), (uint)value);
        return copy;
    }

    private long AbsurdDim()
    {
        long[] values = [0, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 1 << 20, 65_536];
        return values[random.Next(values.Length)];
    }

    private byte[] WithTypeAndRank(byte[] idx)
    {
        var copy = (byte[])idx.Clone();
        if (random.Next(2) == 0)
        {
            byte[] unknown = [0x00, 0x01, 0x0A, 0x0F, 0xFF];
            copy[2] = unknown[random.Next(unknown.Length)];
        }
        else
        {
            byte[] ranks = [0, 9, 200, 255];
            copy[3] = ranks[random.Next(ranks.Length)];
        }
        return copy;
    }

    /// <summary>
    /// A few kilobytes of gzip that decode to more than the service allows: an IDX header claiming a plausible size
    /// (just under the limit, or far over it) followed by endless zeros, as many concatenated gzip members.
    /// </summary>
    private byte[] GzipBomb()
    {
        var claimedSamples = random.Next(2) == 0 ? (int)(maxDecodedBytes / (Side * Side)) - 1 : int.MaxValue / (Side * Side);
        var header = Idx.Raw(0x08, [claimedSamples, Side, Side], 0, _ => 0);
        using var output = new MemoryStream();
        output.Write(Gzip(header));
        for (long decoded = 0; decoded <= maxDecodedBytes * 2; decoded += ZerosPerMember)
        {
            output.Write(GzippedZeros.Value);
        }
        return output.ToArray();
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(bytes);
        }
        return output.ToArray();
    }

    private static byte[] Int64s(byte[] bytes)
    {
        var values = new byte[bytes.Length * 8];
        for (var i = 0; i < bytes.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(values.AsSpan(8 * i), bytes[i]);
        }
        return values;
    }

    private static byte[] Npy(string descr, long[] shape, byte[] data, string? rawHeader = null) => Infrastructure.Npz.Npy(descr, shape, data, rawHeader);

    private byte[] NpyHostileHeader()
    {
        string[] headers =
        [
            "{'descr': '|O', 'fortran_order': False, 'shape': (3, 64), }", // object arrays are pickles
            "{'descr': '<c16', 'fortran_order': False, 'shape': (3, 64), }",
            "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 64), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 64), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 64), }",
            "{'descr': '<f4', 'fortran_order': __import__('os').system('id'), 'shape': (3, 64), }",
            "{'descr': '<f4', 'shape': (3, 64)",
            "{" + new string('(', 5000),
            "[1, 2, 3]",
            "",
        ];
        return Npy("", [], new byte[3 * 64 * 4], headers[random.Next(headers.Length)]);
    }
}
