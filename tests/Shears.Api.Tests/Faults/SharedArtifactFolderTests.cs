using System.Net;
using System.Security.Cryptography;
using System.Text;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests.Faults;

/// <summary>
/// Two Api processes on one database and one artifact folder. While one is in the middle of an upload (its first file
/// stored, no row yet), the other refuses an upload of the very same bytes and cleans up after it: the file the first
/// upload holds must survive, though no row names it yet and the holder is another process.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class SharedArtifactFolderTests(PostgresServer postgres)
{
    private const string Boundary = "shears-boundary";

    [Fact]
    public async Task A_refused_upload_on_one_Api_leaves_the_identical_file_another_Api_is_still_uploading()
    {
        var database = await postgres.CreateDatabaseAsync();
        using var first = await ApiProcess.StartAsync(database);
        using var second = await ApiProcess.StartAsync(database, new Dictionary<string, string> { ["Artifacts__Path"] = first.ArtifactsPath });
        using var secondClient = second.ClientFor(ShearsApiFactory.AlphaKey);
        var inputs = await File.ReadAllBytesAsync(RepoPaths.Fixture(ApiCalls.FashionImages1k));
        var labels = await File.ReadAllBytesAsync(RepoPaths.Fixture(ApiCalls.FashionLabels1k));
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(inputs));
        var stored = Path.Combine(first.ArtifactsPath, "objects", sha256[..2], sha256);

        // The first Api gets the inputs part whole and the start of the labels part: the inputs file is stored and held.
        var (head, tail) = DatasetBody(inputs, labels, splitInLabelsAt: 16);
        await using var upload = await RawConnection.OpenAsync(first.BaseAddress);
        await upload.SendHeadAsync("/v1/datasets?name=shared", $"multipart/form-data; boundary={Boundary}", $"Content-Length: {head.Length + tail.Length}");
        await upload.SendAsync(head);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!File.Exists(stored))
        {
            Assert.True(DateTime.UtcNow < deadline, "the first Api never stored the inputs part");
            await Task.Delay(50);
        }

        // The second Api is sent the same bytes as a model, refuses them, and deletes what no row names and no one holds.
        var refused = await secondClient.UploadModelAsync(inputs);
        await refused.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.True(File.Exists(stored), "the refused upload deleted the file another Api's upload holds");

        // The first upload completes and names the file; it is there to read.
        await upload.SendAsync(tail);
        var answer = await upload.ReadAnswerAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("HTTP/1.1 201", answer, StringComparison.Ordinal);
        Assert.True(File.Exists(stored));
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(stored))));

        // The holds ended with the upload: deleting the dataset through the second Api removes the file.
        var location = answer.Split("\r\n").Single(l => l.StartsWith("Location:", StringComparison.OrdinalIgnoreCase))["Location:".Length..].Trim();
        Assert.Equal(HttpStatusCode.NoContent, (await secondClient.DeleteAsync(location)).StatusCode);
        Assert.False(File.Exists(stored), "the file outlived every row and every upload");
    }

    /// <summary>A multipart body with the parts inputs and labels, cut <paramref name="splitInLabelsAt"/> bytes into the labels.</summary>
    private static (byte[] Head, byte[] Tail) DatasetBody(byte[] inputs, byte[] labels, int splitInLabelsAt)
    {
        static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
        byte[] beforeLabels =
        [
            .. Ascii($"--{Boundary}\r\nContent-Disposition: form-data; name=\"inputs\"; filename=\"{ApiCalls.FashionImages1k}\"\r\nContent-Type: application/octet-stream\r\n\r\n"),
            .. inputs,
            .. Ascii($"\r\n--{Boundary}\r\nContent-Disposition: form-data; name=\"labels\"; filename=\"{ApiCalls.FashionLabels1k}\"\r\nContent-Type: application/octet-stream\r\n\r\n"),
        ];
        return ([.. beforeLabels, .. labels.AsSpan(0, splitInLabelsAt)], [.. labels.AsSpan(splitInLabelsAt), .. Ascii($"\r\n--{Boundary}--\r\n")]);
    }
}
