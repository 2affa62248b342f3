using System.Net;
using System.Text;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests.Fuzz;

/// <summary>
/// Multipart bodies broken in the ways a hand-written client breaks them, sent to a real Api process in both modes:
/// each gets a 400 that says what is malformed (they used to escape the upload reader as 500s), and a client that
/// drops in the middle of an upload is logged as such, not as an unhandled error.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class MalformedMultipartTests(PostgresServer postgres)
{
    private const string Boundary = "b0undary";

    private static readonly byte[] Onnx = File.ReadAllBytes(RepoPaths.Fixture("tiny_mlp.onnx"));

    /// <summary>(what is wrong, Content-Type, body, a word the answer must contain).</summary>
    public static TheoryData<string, string, byte[], string> Bodies()
    {
        var part = $"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"net.onnx\"\r\n\r\n";
        var whole = Concat(part, Onnx, $"\r\n--{Boundary}--\r\n");
        var manyHeaders = string.Concat(Enumerable.Range(0, 40).Select(i => $"X-Header-{i}: {i}\r\n"));
        var longBoundary = new string('x', 200);
        return new TheoryData<string, string, byte[], string>
        {
            { "an unterminated quoted boundary", "multipart/form-data; boundary=\"", whole, "Content-Type" },
            { "an empty boundary", "multipart/form-data; boundary=", whole, "boundary" },
            { "no boundary parameter", "multipart/form-data", whole, "boundary" },
            { "a 200-character boundary", $"multipart/form-data; boundary={longBoundary}",
                Concat($"--{longBoundary}\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n", Onnx, $"\r\n--{longBoundary}--\r\n"), "boundary" },
            { "a body cut before the closing boundary", $"multipart/form-data; boundary={Boundary}", Concat(part, Onnx[..1000], ""), "end" },
            { "a body cut inside the part headers", $"multipart/form-data; boundary={Boundary}", Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Dispo"), "header" },
            { "a part with 40 header lines", $"multipart/form-data; boundary={Boundary}",
                Concat($"--{Boundary}\r\n{manyHeaders}Content-Disposition: form-data; name=\"file\"\r\n\r\n", Onnx, $"\r\n--{Boundary}--\r\n"), "header" },
            { "a 20 kB header line", $"multipart/form-data; boundary={Boundary}",
                Concat($"--{Boundary}\r\nX-Long: {new string('a', 20_000)}\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n", Onnx, $"\r\n--{Boundary}--\r\n"), "length limit" },
            { "a header line without a colon", $"multipart/form-data; boundary={Boundary}",
                Concat($"--{Boundary}\r\nContent-Disposition form-data\r\n\r\n", Onnx, $"\r\n--{Boundary}--\r\n"), "header" },
            { "no boundary anywhere in the body", $"multipart/form-data; boundary={Boundary}", Onnx, "boundary" },
            { "an empty body", $"multipart/form-data; boundary={Boundary}", [], "empty" },
        };
    }

    [Theory]
    [InlineData("embedded")]
    [InlineData("distributed")]
    public async Task Each_malformed_multipart_body_gets_a_400_saying_what_is_malformed(string mode)
    {
        using var api = mode == "embedded" ? await ApiProcess.StartEmbeddedAsync() : await ApiProcess.StartAsync(await postgres.CreateDatabaseAsync());
        using var client = api.ClientFor(ShearsApiFactory.AlphaKey);
        var failures = new List<string>();
        foreach (var row in Bodies())
        {
            var (what, contentType, body, mention) = ((string)row[0], (string)row[1], (byte[])row[2], (string)row[3]);
            var content = new ByteArrayContent(body);
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            using var response = await client.PostAsync("/v1/models", content);
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.BadRequest || response.Content.Headers.ContentType?.MediaType != "application/problem+json"
                || !text.Contains(mention, StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"{what}: {(int)response.StatusCode} {text}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + api.Process.Output);
        Assert.Equal(0, (await client.GetJsonAsync("/v1/models")).GetProperty("count").GetInt32());
        Assert.DoesNotContain("Unhandled", api.Process.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_client_that_drops_mid_upload_is_logged_as_a_client_abort_not_an_unhandled_error()
    {
        using var api = await ApiProcess.StartAsync(await postgres.CreateDatabaseAsync(), new Dictionary<string, string>
        {
            ["Logging__LogLevel__Shears"] = "Information",
        });
        var startupLog = api.Process.Output.Length;
        foreach (var (path, contentType, head) in new[]
        {
            ("/v1/models", "application/octet-stream", Array.Empty<byte>()),
            ("/v1/models", $"multipart/form-data; boundary={Boundary}",
                Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n")),
        })
        {
            await using (var connection = await RawConnection.OpenAsync(api.BaseAddress))
            {
                await connection.SendHeadAsync(path, contentType, $"Content-Length: {10 << 20}");
                await connection.SendAsync([.. head, .. Onnx]);
                await Task.Delay(500);
            }
        }
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (api.Process.Output[startupLog..].Split("The client dropped the connection").Length < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
        var output = api.Process.Output[startupLog..];
        Assert.True(output.Split("The client dropped the connection").Length == 3, output);
        Assert.False(output.Contains("fail:", StringComparison.Ordinal) || output.Contains("Unhandled", StringComparison.OrdinalIgnoreCase), output);
        using var client = api.ClientFor(ShearsApiFactory.AlphaKey);
        Assert.Equal(0, (await client.GetJsonAsync("/v1/models")).GetProperty("count").GetInt32());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(api.ArtifactsPath, "tmp")));
    }

    private static byte[] Concat(string head, byte[] middle, string tail) => [.. Encoding.ASCII.GetBytes(head), .. middle, .. Encoding.ASCII.GetBytes(tail)];
}
