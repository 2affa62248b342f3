using System.Security.Cryptography;
using Shears.Api.Tests.Infrastructure;
using Shears.Domain.Persistence;

namespace Shears.Api.Tests.Persistence;

/// <summary>
/// The S3 artifact store against a real S3-compatible server (s3rver on loopback): content-addressed objects written
/// whole or not at all, multipart uploads of content larger than a part, retries through a short outage, and a clear
/// <see cref="ArtifactStoreUnavailableException"/> with nothing half-written when the server stays away.
/// </summary>
public sealed class S3ArtifactStoreTests : IAsyncLifetime
{
    private const int Part = 5 << 20; // S3's smallest part, so a few parts make a multipart upload
    private S3Server _server = null!;

    public async Task InitializeAsync() => _server = await S3Server.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Content_of_several_parts_is_stored_under_its_hash_and_read_back_whole()
    {
        using var store = new S3ArtifactStore(_server.StoreSettings() with { PartSizeMiB = 5 }, new InProcessBlobHolds());
        var content = RandomBytes(2 * Part + 12345);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));

        await using (var held = await store.SaveAsync(new MemoryStream(content), long.MaxValue, CancellationToken.None))
        {
            Assert.Equal(new StoredBlob(sha256, content.Length), held.Blob);
        }
        // The same content again: still one object, and the multipart upload's temporary object is gone both times.
        await using (await store.SaveAsync(new MemoryStream(content), long.MaxValue, CancellationToken.None))
        {
        }
        Assert.Equal([$"objects/{sha256[..2]}/{sha256}"], await _server.KeysAsync());

        Assert.Equal(content, await store.ReadAllBytesAsync(sha256, CancellationToken.None));
        await using var read = await store.OpenReadAsync(sha256, CancellationToken.None);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(content, copy.ToArray());
    }

    [Fact]
    public async Task Small_content_is_put_in_one_request_and_an_unknown_hash_is_a_missing_artifact()
    {
        using var store = new S3ArtifactStore(_server.StoreSettings(), new InProcessBlobHolds());
        var content = RandomBytes(1000);
        var blob = await store.SaveAsync(content, CancellationToken.None);
        Assert.Equal(content, await store.ReadAllBytesAsync(blob.Sha256, CancellationToken.None));
        Assert.Equal([$"objects/{blob.Sha256[..2]}/{blob.Sha256}"], await _server.KeysAsync());

        var unknown = new string('0', 64);
        var missing = await Assert.ThrowsAsync<ArtifactMissingException>(() => store.ReadAllBytesAsync(unknown, CancellationToken.None));
        Assert.Equal($"The bucket '{S3Server.Bucket}' at {_server.ServiceUrl} has no object objects/00/{unknown}.", missing.Message);
        await Assert.ThrowsAsync<ArtifactMissingException>(() => store.OpenReadAsync(unknown, CancellationToken.None));
    }

    [Fact]
    public async Task An_upload_over_the_limit_leaves_no_object()
    {
        using var store = new S3ArtifactStore(_server.StoreSettings() with { PartSizeMiB = 5 }, new InProcessBlobHolds());
        await Assert.ThrowsAsync<ContentTooLargeException>(() =>
            store.SaveAsync(new MemoryStream(RandomBytes(3 * Part)), 2 * Part + 1, CancellationToken.None));
        Assert.Empty(await _server.KeysAsync());
    }

    [Fact]
    public async Task A_held_object_survives_a_deletion_and_an_unreferenced_one_goes()
    {
        using var store = new S3ArtifactStore(_server.StoreSettings(), new InProcessBlobHolds());
        var held = await store.SaveAsync(new MemoryStream(RandomBytes(100)), long.MaxValue, CancellationToken.None);
        await store.DeleteIfUnreferencedAsync(held.Blob.Sha256, _ => Task.FromResult(true), CancellationToken.None);
        Assert.Single(await _server.KeysAsync());

        await held.DisposeAsync();
        await store.DeleteIfUnreferencedAsync(held.Blob.Sha256, _ => Task.FromResult(false), CancellationToken.None);
        Assert.Single(await _server.KeysAsync());
        await store.DeleteIfUnreferencedAsync(held.Blob.Sha256, _ => Task.FromResult(true), CancellationToken.None);
        Assert.Empty(await _server.KeysAsync());
    }

    [Fact]
    public async Task A_short_outage_is_ridden_out_by_retries()
    {
        using var store = new S3ArtifactStore(_server.StoreSettings(retries: 6), new InProcessBlobHolds());
        _server.Stop();
        var back = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            await _server.StartAgainAsync();
        });
        var content = RandomBytes(1000);
        var blob = await store.SaveAsync(content, CancellationToken.None);
        await back;
        Assert.Equal(content, await store.ReadAllBytesAsync(blob.Sha256, CancellationToken.None));
    }

    [Fact]
    public async Task A_server_gone_in_the_middle_of_an_upload_fails_it_clearly_and_leaves_nothing_half_written()
    {
        using var store = new S3ArtifactStore(_server.StoreSettings(retries: 2) with { PartSizeMiB = 5 }, new InProcessBlobHolds());
        var content = RandomBytes(3 * Part);
        // The server dies once the first part went up and the second is being read.
        var dying = new CallbackAfterStream(new MemoryStream(content), Part + 1, _server.Stop);
        var failure = await Assert.ThrowsAsync<ArtifactStoreUnavailableException>(() => store.SaveAsync(dying, long.MaxValue, CancellationToken.None));
        Assert.IsAssignableFrom<IOException>(failure); // so a job meeting it is retried as an infrastructure failure
        Assert.Contains($"bucket '{S3Server.Bucket}' at {_server.ServiceUrl}", failure.Message, StringComparison.Ordinal);

        await _server.StartAgainAsync();
        Assert.Empty(await _server.KeysAsync());
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Reads through to <paramref name="inner"/> and runs <paramref name="callback"/> once <paramref name="after"/> bytes were read.</summary>
    private sealed class CallbackAfterStream(Stream inner, long after, Action callback) : Stream
    {
        private long _read;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            if (_read < after && _read + read >= after)
            {
                callback();
            }
            _read += read;
            return read;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
