using System.Net;
using System.Net.Sockets;
using System.Text;
using Shears.Cli.Tests.Infrastructure;

namespace Shears.Cli.Tests;

/// <summary>An error is one line, even when what answers is not the service (a proxy's HTML page), run as the real process.</summary>
public sealed class CliErrorTextTests
{
    [Fact]
    public async Task A_proxys_html_error_page_becomes_one_line_with_its_status()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var proxy = AnswerOnceAsync(listener, "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nConnection: close\r\n",
            "\n\n<html><head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n</body></html>\n");

        var run = await CliProcess.RunAsync("jobs", "list", "--url", $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        await proxy;

        Assert.True(run.ExitCode == ExitCodes.ApiError, run.ToString());
        Assert.Equal("error: 502 Bad Gateway: <html><head><title>502 Bad Gateway</title></head>\n", run.Error);
    }

    private static async Task AnswerOnceAsync(TcpListener listener, string head, string body)
    {
        using var client = await listener.AcceptTcpClientAsync();
        var stream = client.GetStream();
        var buffer = new byte[8192];
        var request = new StringBuilder();
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                break;
            }
            request.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        var bytes = Encoding.UTF8.GetBytes(body);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{head}Content-Length: {bytes.Length}\r\n\r\n"));
        await stream.WriteAsync(bytes);
    }
}
