using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;

namespace Shears.Api.Tests.Infrastructure;

/// <summary>Writes .npz files as numpy.savez does: a zip of .npy members named after their arrays.</summary>
internal static class Npz
{
    public sealed record Member(string Name, string Descr, long[] Shape, byte[] Data);

    public static Member Float32(string name, long[] shape, float[] values) => new(name, "<f4", shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public static Member Int64(string name, long[] shape, long[] values) => new(name, "<i8", shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public static byte[] Archive(params Member[] members)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var member in members)
            {
                using var entry = zip.CreateEntry($"{member.Name}.npy").Open();
                entry.Write(Npy(member.Descr, member.Shape, member.Data));
            }
        return memory.ToArray();
    }

    /// <summary>A .npy file (format 1.0) with the given dtype, shape and raw data (or a header written as given).</summary>
    public static byte[] Npy(string descr, long[] shape, byte[] data, string? rawHeader = null)
    {
        var header = rawHeader ?? $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({string.Join(", ", shape)},), }}";
        var padded = header.PadRight(((header.Length + 10 + 1 + 63) / 64 * 64) - 10 - 1) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.AddRange([1, 0, (byte)(padded.Length & 0xFF), (byte)(padded.Length >> 8)]);
        bytes.AddRange(Encoding.Latin1.GetBytes(padded));
        bytes.AddRange(data);
        return [.. bytes];
    }

    public static Task<HttpResponseMessage> UploadNpzAsync(this HttpClient client, byte[] npz, string fileName = "data.npz")
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(npz), "inputs", fileName } };
        return client.PostAsync($"/v1/datasets?name={Uri.EscapeDataString(fileName)}", form);
    }
}
