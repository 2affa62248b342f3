using System.Net.Sockets;
using System.Text;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests.Fuzz;

/// <summary>
/// Bodies over the upload limit, sent over a raw socket to a real Api process so that what the server reads can be
/// told from what the client sent: the 413 comes before the body is read in full, and nothing is kept.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class OversizedBodyTests(PostgresServer postgres) : IAsyncLifetime
{
    private const int LimitBytes = 2 << 20;
    private ApiProcess _api = null!;

    public async Task InitializeAsync() => _api = await ApiProcess.StartAsync(await postgres.CreateDatabaseAsync(), new Dictionary<string, string>
    {
        ["Uploads__MaxModelBytes"] = $"{LimitBytes}",
        ["Uploads__MaxDatasetFileBytes"] = $"{LimitBytes}",
    });

    [Theory]
    [InlineData("/v1/models", "application/octet-stream")]
    [InlineData("/v1/datasets", "multipart/form-data; boundary=xyz")]
    public async Task A_declared_length_over_the_limit_gets_413_before_the_body_is_sent(string path, string contentType)
    {
        await using var connection = await RawConnection.OpenAsync(_api.BaseAddress);
        await connection.SendHeadAsync(path, contentType, $"Content-Length: {20L * LimitBytes}");
        await connection.SendAsync(new byte[1024]);

        var answer = await connection.ReadAnswerAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 413", answer, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", answer, StringComparison.Ordinal);
        await AssertNothingKeptAsync();
    }

    [Theory]
    [InlineData("/v1/models", "application/octet-stream")]
    [InlineData("/v1/datasets", "multipart/form-data; boundary=xyz")]
    public async Task A_chunked_body_over_the_limit_is_cut_off_with_413_long_before_its_end(string path, string contentType)
    {
        const long bodyBytes = 32L * LimitBytes;
        await using var connection = await RawConnection.OpenAsync(_api.BaseAddress);
        await connection.SendHeadAsync(path, contentType, "Transfer-Encoding: chunked");
        var answering = connection.ReadAnswerAsync(TimeSpan.FromSeconds(30));
        var prefix = path.EndsWith("datasets", StringComparison.Ordinal)
            ? Encoding.ASCII.GetBytes("--xyz\r\nContent-Disposition: form-data; name=\"inputs\"; filename=\"big.idx\"\r\n\r\n")
            : [];
        long sent = 0;
        try
        {
            await connection.SendAsync(Chunk(prefix));
            var chunk = Chunk(new byte[64 * 1024]);
            while (sent < bodyBytes && !answering.IsCompleted)
            {
                await connection.SendAsync(chunk);
                sent += 64 * 1024;
            }
        }
        catch (IOException)
        {
            // the server closed the connection after answering: what we wanted
        }
        catch (SocketException)
        {
            // likewise
        }
        var answer = await answering;
        Assert.StartsWith("HTTP/1.1 413", answer, StringComparison.Ordinal);
        // Socket buffers let the client run ahead of the server by a few MiB; the body is 64 MiB.
        Assert.True(sent < bodyBytes / 4, $"the client sent {sent >> 20} MiB of a {bodyBytes >> 20} MiB body before the 413");
        await AssertNothingKeptAsync();
    }

    private static byte[] Chunk(byte[] data) => data.Length == 0 ? [] : [.. Encoding.ASCII.GetBytes($"{data.Length:X}\r\n"), .. data, .. "\r\n"u8.ToArray()];

    private async Task AssertNothingKeptAsync()
    {
        using var client = _api.ClientFor(ShearsApiFactory.AlphaKey);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(0, (await client.GetJsonAsync("/v1/models")).GetProperty("count").GetInt32());
        Assert.Equal(0, (await client.GetJsonAsync("/v1/datasets")).GetProperty("count").GetInt32());
        Assert.Empty(Directory.EnumerateFiles(_api.ArtifactsPath, "*", SearchOption.AllDirectories));
    }

    public Task DisposeAsync()
    {
        _api.Dispose();
        return Task.CompletedTask;
    }
}
