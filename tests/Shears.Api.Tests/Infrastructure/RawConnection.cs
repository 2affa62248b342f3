using System.Net.Sockets;
using System.Text;

namespace Shears.Api.Tests.Infrastructure;

/// <summary>An HTTP/1.1 connection driven by hand, for requests a well-behaved client library would not send.</summary>
internal sealed class RawConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly Uri _server;

    private RawConnection(TcpClient tcp, Uri server) => (_tcp, _stream, _server) = (tcp, tcp.GetStream(), server);

    public static async Task<RawConnection> OpenAsync(Uri server)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        return new RawConnection(tcp, server);
    }

    /// <summary>The request line and headers of a POST with alpha's key; <paramref name="framing"/> is the Content-Length or Transfer-Encoding line.</summary>
    public Task SendHeadAsync(string path, string contentType, string framing) => SendAsync(Encoding.ASCII.GetBytes(
        $"POST {path} HTTP/1.1\r\nHost: {_server.Authority}\r\nX-Api-Key: {ShearsApiFactory.AlphaKey}\r\nContent-Type: {contentType}\r\n{framing}\r\n\r\n"));

    /// <summary>A GET of <paramref name="target"/> with alpha's key and any <paramref name="headers"/> ("Name: value").</summary>
    public Task SendGetAsync(string target, params string[] headers) => SendAsync(Encoding.ASCII.GetBytes(
        $"GET {target} HTTP/1.1\r\nHost: {_server.Authority}\r\nX-Api-Key: {ShearsApiFactory.AlphaKey}\r\n{string.Concat(headers.Select(h => h + "\r\n"))}\r\n"));

    public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>The status line, headers and whatever body arrived with them (or all that arrived before the connection closed).</summary>
    public async Task<string> ReadAnswerAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var buffer = new byte[16 * 1024];
        var answer = new StringBuilder();
        while (!answer.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var n = await _stream.ReadAsync(buffer, cancel.Token);
            if (n == 0)
            {
                break;
            }
            answer.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        return answer.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}
