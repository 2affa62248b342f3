using System.Net;
using System.Net.Sockets;

namespace Shears.Api.Extensions;

/// <summary>
/// Where the Api listens, from the settings Kestrel reads (<c>urls</c> / ASPNETCORE_URLS, else <c>http_ports</c> and
/// <c>https_ports</c> / ASPNETCORE_HTTP_PORTS and ASPNETCORE_HTTPS_PORTS, else port 5000 on localhost); without API keys
/// every address is moved to loopback. Also tells, before Kestrel tries, whether another program holds one of the ports.
/// </summary>
public static class ListenAddresses
{
    public const string Default = "http://localhost:5000";

    public static string[] Of(IConfiguration configuration, bool loopbackOnly)
    {
        var urls = Split(configuration["urls"]);
        if (urls.Length == 0)
        {
            urls = [.. Split(configuration["http_ports"]).Select(port => $"http://*:{port}"), .. Split(configuration["https_ports"]).Select(port => $"https://*:{port}")];
        }
        if (urls.Length == 0)
        {
            urls = [Default];
        }
        return loopbackOnly ? [.. urls.Select(ToLoopback)] : urls;
    }

    /// <summary>
    /// The first address of <see cref="Of"/> whose port another program listens on, or null when all are free (or when
    /// Kestrel:Endpoints configures the addresses instead, which Kestrel itself reports on).
    /// </summary>
    public static string? FirstTaken(IConfiguration configuration, bool loopbackOnly)
        => configuration.GetSection("Kestrel:Endpoints").Exists()
            ? null
            : Of(configuration, loopbackOnly).FirstOrDefault(url => Endpoints(url).Any(IsTaken));

    /// <summary>A sentence for the console: which port is taken and how to choose another.</summary>
    public static string TakenMessage(string url)
    {
        var port = new Uri(Wildcards(url)).Port;
        return $"Port {port} ({url}) is already in use by another program: stop that program, or start Shears on another port " +
            $"(ASPNETCORE_HTTP_PORTS={port + 1}, or ASPNETCORE_URLS=http://localhost:{port + 1}).";
    }

    private static string[] Split(string? value)
        => value?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    private static string Wildcards(string url)
        => url.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal);

    private static string ToLoopback(string url)
    {
        var uri = new Uri(Wildcards(url));
        return new UriBuilder(uri) { Host = IsLoopback(uri.Host) ? uri.Host : "127.0.0.1" }.Uri.ToString().TrimEnd('/');
    }

    private static bool IsLoopback(string host)
        => host == "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    /// <summary>What Kestrel binds for a URL: both loopbacks for localhost, the address given, or any address for other names.</summary>
    private static IEnumerable<IPEndPoint> Endpoints(string url)
    {
        var wildcard = url.Contains("://+", StringComparison.Ordinal) || url.Contains("://*", StringComparison.Ordinal);
        var uri = new Uri(Wildcards(url));
        if (uri.Port == 0)
        {
            return [];
        }
        if (wildcard)
        {
            return [new IPEndPoint(IPAddress.Any, uri.Port)];
        }
        if (uri.Host == "localhost")
        {
            return [new IPEndPoint(IPAddress.Loopback, uri.Port), new IPEndPoint(IPAddress.IPv6Loopback, uri.Port)];
        }
        return [new IPEndPoint(IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) ? address : IPAddress.Any, uri.Port)];
    }

    private static bool IsTaken(IPEndPoint endpoint)
    {
        try
        {
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(endpoint);
            socket.Listen();
            return false;
        }
        catch (SocketException e)
        {
            // Only "in use" means taken; an address family the machine lacks (no IPv6 loopback) is Kestrel's to judge.
            return e.SocketErrorCode == SocketError.AddressAlreadyInUse;
        }
    }
}
