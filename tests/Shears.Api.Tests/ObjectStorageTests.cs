using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests;

/// <summary>
/// Distributed mode with its artifacts in an S3-compatible bucket (a real s3rver on loopback): an Api and a Worker
/// process that share no folder run a job end to end, deletions reach the bucket, and a 2 GiB upload streams through
/// the Api to the bucket with its memory flat.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class ObjectStorageTests(PostgresServer postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private S3Server _s3 = null!;

    /// <summary>A folder the Api and the worker are pointed at and must never create: everything goes to the bucket.</summary>
    private readonly string _noFolder = Path.Combine(Path.GetTempPath(), $"shears-no-folder-{Guid.NewGuid():N}");

    public async Task InitializeAsync() => _s3 = await S3Server.StartAsync();

    public async Task DisposeAsync() => await _s3.DisposeAsync();

    private Dictionary<string, string> Settings(IReadOnlyDictionary<string, string>? extra = null)
        => new[] { _s3.Settings, new Dictionary<string, string> { ["Artifacts__Path"] = _noFolder }, extra ?? new Dictionary<string, string>() }
            .SelectMany(d => d).ToDictionary(kv => kv.Key, kv => kv.Value);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task An_Api_and_a_worker_that_share_no_folder_run_a_job_through_the_bucket()
    {
        using var scene = await DistributedScene.StartAsync(postgres, Settings());
        var client = scene.Client;
        var jobId = await scene.QueueJobAsync(new { steps = 20 }, "magnitude", "tiny_mlp");
        var events = await client.ReadEventsAsync(jobId, TimeSpan.FromMinutes(3));
        Assert.True(events[^1].Json.GetProperty("status").GetString() == "succeeded", string.Join("\n", events.Select(e => e.Data)) + scene.Worker.Output);

        // What the worker wrote, the Api serves from the bucket; every object is whole, under its content's hash.
        var pruned = await client.GetByteArrayAsync($"/v1/jobs/{jobId}/artifacts/pruned.onnx");
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(pruned));
        var keys = await _s3.KeysAsync();
        output.WriteLine(string.Join("\n", keys));
        Assert.Contains($"objects/{sha256[..2]}/{sha256}", keys);
        Assert.All(keys, key => Assert.StartsWith("objects/", key, StringComparison.Ordinal)); // no temporary object left
        foreach (var key in keys)
        {
            Assert.Equal(key[(key.LastIndexOf('/') + 1)..], Convert.ToHexStringLower(SHA256.HashData(await _s3.ReadAsync(key))));
        }
        // Exactly what the rows name (the checkpoint went with the job's end).
        Assert.Equal(await NamedByRowsAsync(scene.Database), keys);
        Assert.False(Directory.Exists(_noFolder), "a process wrote to the artifacts folder");

        // A model nobody else names: deleting it deletes its object (the hold and the check run in PostgreSQL).
        var other = await File.ReadAllBytesAsync(RepoPaths.Fixture("lenet5.onnx"));
        var otherId = await (await client.UploadModelAsync(other)).CreatedIdAsync();
        var otherKey = $"objects/{Convert.ToHexStringLower(SHA256.HashData(other))[..2]}/{Convert.ToHexStringLower(SHA256.HashData(other))}";
        Assert.Contains(otherKey, await _s3.KeysAsync());
        Assert.Equal(other, await client.GetByteArrayAsync($"/v1/models/{otherId}/content"));
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/models/{otherId}")).StatusCode);
        Assert.DoesNotContain(otherKey, await _s3.KeysAsync());
        Assert.Equal(keys, await _s3.KeysAsync());
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_2_GiB_upload_streams_through_the_Api_to_the_bucket_with_its_memory_flat()
    {
        // 28×28 bytes each: the largest IDX file a dataset may be (2 GiB less a KiB); with the labels the body passes 2 GiB.
        const int Samples = 2_739_136;
        var database = await postgres.CreateDatabaseAsync();
        using var api = await ApiProcess.StartAsync(database, Settings(new Dictionary<string, string>
        {
            ["Uploads__MaxDatasetFileBytes"] = $"{3L << 30}",
            ["Uploads__MaxDatasetDecodedBytes"] = $"{3L << 30}",
        }));
        using var client = api.ClientFor(ShearsApiFactory.AlphaKey);
        client.Timeout = TimeSpan.FromMinutes(20);
        // Warm up (a small dataset through the same paths), then take the baseline.
        await (await client.UploadDatasetAsync(Idx.Bytes([20, 28, 28], i => (byte)i), Idx.Bytes([20], i => (byte)(i % 10)))).CreatedIdAsync();
        var baseline = api.Process.ResidentMemory();

        var inputs = new GeneratedIdxStream([Samples, 28, 28], i => (byte)(i * 31 % 251));
        var labels = Idx.Bytes([Samples], i => (byte)(i % 10));
        var form = new MultipartFormDataContent
        {
            { new StreamContent(inputs, 1 << 16), "inputs", "inputs.idx" },
            { new ByteArrayContent(labels), "labels", "labels.idx" },
        };
        var response = await client.PostAsync("/v1/datasets?name=big", form);
        var dataset = await response.Content.ReadAsStringAsync();
        var after = api.Process.ResidentMemory();
        output.WriteLine($"{(int)response.StatusCode} {dataset}");
        output.WriteLine($"Api resident memory: baseline {baseline.Current >> 20} MiB, after {after.Current >> 20} MiB, peak {after.Peak >> 20} MiB");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Contains($"\"samples\":{Samples}", dataset, StringComparison.Ordinal);
        Assert.True(inputs.Length + labels.Length > 2L << 30);
        var keys = await _s3.KeysAsync();
        Assert.Equal(await NamedByRowsAsync(database), keys); // the warm-up's two files and the big upload's two; no temporary object
        Assert.All(keys, key => Assert.StartsWith("objects/", key, StringComparison.Ordinal));
        Assert.Contains($"objects/{inputs.Sha256[..2]}/{inputs.Sha256}", keys);
        Assert.True(after.Peak - baseline.Current < 200L << 20,
            $"the Api's resident memory peaked at {after.Peak >> 20} MiB from a baseline of {baseline.Current >> 20} MiB");
        Assert.False(Directory.Exists(_noFolder), "the Api wrote to the artifacts folder");
    }

    /// <summary>The keys of the files the database's rows name.</summary>
    private static async Task<List<string>> NamedByRowsAsync(string database)
        => (await Sql.ColumnAsync(database, """
            SELECT sha256 FROM models UNION SELECT inputs_sha256 FROM datasets UNION SELECT labels_sha256 FROM datasets
            UNION SELECT sha256 FROM job_artifacts
            """)).Select(sha256 => $"objects/{sha256[..2]}/{sha256}").Order().ToList();

    /// <summary>An uncompressed IDX file of bytes made as it is read (never held whole), with its SHA-256 once read to the end.</summary>
    private sealed class GeneratedIdxStream : Stream
    {
        private readonly byte[] _header;
        private readonly Func<long, byte> _byteAt;
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _position;

        public GeneratedIdxStream(int[] dims, Func<long, byte> byteAt)
        {
            _header = [0, 0, 0x08, (byte)dims.Length, .. dims.SelectMany(d => new[] { (byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d })];
            _byteAt = byteAt;
            Length = _header.Length + dims.Aggregate(1L, (a, b) => a * b);
        }

        public string Sha256 { get; private set; } = "";

        public override long Length { get; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, Length - _position);
            for (var i = 0; i < n; i++, _position++)
            {
                buffer[offset + i] = _position < _header.Length ? _header[_position] : _byteAt(_position - _header.Length);
            }
            _hash.AppendData(buffer, offset, n);
            if (n == 0 && Sha256 == "")
            {
                Sha256 = Convert.ToHexStringLower(_hash.GetHashAndReset());
            }
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            _hash.Dispose();
            base.Dispose(disposing);
        }
    }
}
