using System.Net;
using System.Net.Sockets;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests;

/// <summary>
/// Where a real Api process listens: keyless mode honours ASPNETCORE_HTTP_PORTS (it bound port 5000 whatever it said),
/// and a taken port is said in one line with a non-zero exit, not a stack trace.
/// </summary>
public sealed class ListenAddressTests
{
    private static readonly Dictionary<string, string> Keyless = new() { ["Auth__ApiKeys__0__Tenant"] = "", ["Auth__ApiKeys__0__Key"] = "" };

    [Fact]
    public async Task Keyless_mode_listens_on_the_port_ASPNETCORE_HTTP_PORTS_names_on_loopback()
    {
        var port = LoopbackPort.Free();
        using var api = await ApiProcess.StartEmbeddedAsync(new Dictionary<string, string>(Keyless)
        {
            ["ASPNETCORE_URLS"] = "",
            ["ASPNETCORE_HTTP_PORTS"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, port);
        Assert.Equal(HttpStatusCode.OK, (await api.ClientFor(null).GetAsync("/v1/models")).StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_taken_port_is_said_in_one_line_and_the_process_exits_non_zero(bool keyless)
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var folder = Directory.CreateTempSubdirectory("shears-port-").FullName;
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Database__SqlitePath"] = Path.Combine(folder, "shears.db"),
            ["Artifacts__Path"] = Path.Combine(folder, "artifacts"),
        };
        if (!keyless)
        {
            environment["Auth__ApiKeys__0__Tenant"] = "alpha";
            environment["Auth__ApiKeys__0__Key"] = ShearsApiFactory.AlphaKey;
        }
        try
        {
            using var api = new DotnetProcess(RepoPaths.BuiltDll("Api", "Shears.Api.dll"), environment, folder);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await api.WaitForExitAsync(timeout.Token);

            Assert.NotEqual(0, api.ExitCode);
            var lines = api.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Contains(lines, line => line.Contains($"Port {port}", StringComparison.Ordinal) && line.Contains("already in use", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, line => line.StartsWith("at ", StringComparison.Ordinal) || line.Contains("Exception", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
