using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Amazon.S3.Model;
using Shears.Domain.Persistence;

namespace Shears.Api.Tests.Infrastructure;

/// <summary>
/// A real S3-compatible server for the tests: s3rver (npm, installed into tests/s3server by scripts/test.sh) on a free
/// loopback port, with one bucket, its objects in a temp folder. It can be stopped and started again on the same port
/// and folder, as a storage outage would.
/// </summary>
public sealed class S3Server : IAsyncDisposable
{
    public const string Bucket = "shears";

    /// <summary>s3rver's fixed credentials (it refuses another access key; it does not check a SigV4 signature, so not the secret).</summary>
    private const string Key = "S3RVER";

    private static readonly string Program = Path.Combine(RepoPaths.Root, "tests", "s3server", "serve.js");
    private static readonly string Installed = Path.Combine(RepoPaths.Root, "tests", "s3server", "node_modules", "s3rver");
    private readonly StringBuilder _output = new();
    private Process? _process;

    private S3Server(int port)
    {
        Port = port;
        Directory.CreateDirectory(DataDirectory);
    }

    public int Port { get; }

    public string ServiceUrl => $"http://127.0.0.1:{Port}";

    /// <summary>The server's folder.</summary>
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"shears-s3-{Guid.NewGuid():N}");

    /// <summary>What the Api and workers are given to use this server (distributed mode's store).</summary>
    public IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Artifacts__S3__ServiceUrl"] = ServiceUrl,
        ["Artifacts__S3__Bucket"] = Bucket,
        ["Artifacts__S3__AccessKey"] = Key,
        ["Artifacts__S3__SecretKey"] = Key,
    };

    public S3Settings StoreSettings(int retries = 4)
        => new(Bucket, ServiceUrl, AccessKey: Key, SecretKey: Key, Retries: retries);

    public static async Task<S3Server> StartAsync()
    {
        if (!Directory.Exists(Installed))
        {
            throw new InvalidOperationException($"{Installed} is missing: run scripts/test.sh, or `npm ci --prefix tests/s3server`.");
        }
        var server = new S3Server(LoopbackPort.Free());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the server (again, after <see cref="Stop"/>) and waits until it accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = DataDirectory };
        foreach (var arg in new[] { Program, "--directory", DataDirectory, "--address", "127.0.0.1", "--port", $"{Port}", "--silent", "--configure-bucket", Bucket })
        {
            start.ArgumentList.Add(arg);
        }
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (SocketException ex)
            {
                throw new InvalidOperationException($"s3rver did not listen on {Port}: {Output}", ex);
            }
        }
    }

    /// <summary>SIGKILLs the server: every connection is cut and new ones are refused until <see cref="StartAgainAsync"/>.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>The keys of the bucket's objects, listed through the S3 API.</summary>
    public async Task<IReadOnlyList<string>> KeysAsync()
    {
        using var s3 = S3ClientFactory.Create(StoreSettings());
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = Bucket };
        ListObjectsV2Response page;
        do
        {
            page = await s3.ListObjectsV2Async(request);
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);
        return keys.Order().ToList();
    }

    /// <summary>An object's bytes, read through the S3 API.</summary>
    public async Task<byte[]> ReadAsync(string key)
    {
        using var s3 = S3ClientFactory.Create(StoreSettings());
        using var response = await s3.GetObjectAsync(Bucket, key);
        using var bytes = new MemoryStream();
        await response.ResponseStream.CopyToAsync(bytes);
        return bytes.ToArray();
    }

    /// <summary>An object's bytes, or null when there is no such key (any more).</summary>
    public async Task<byte[]?> ReadIfPresentAsync(string key)
    {
        try
        {
            return await ReadAsync(key);
        }
        catch (NoSuchKeyException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            // A deletion that reaches s3rver while it answers the read can also cut the answer short: the SDK then fails on
            // its checksum header (ArgumentOutOfRangeException, fresh-clone suite under load). An object gone since was not
            // half-written; one still there is read again.
            return (await KeysAsync()).Contains(key) ? await ReadAsync(key) : null;
        }
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        return ValueTask.CompletedTask;
    }
}
