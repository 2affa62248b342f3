using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Shears.Domain.Persistence;

/// <summary>
/// <see cref="IArtifactStore"/> in a bucket of an S3-compatible object store, by key <c>objects/ab/abcdef…</c> (SHA-256), so
/// that Apis and workers on different hosts share files without a shared folder. An object appears whole or not at all:
/// content that fits in one part is put once its hash is known; larger content goes up as a multipart upload to
/// <c>tmp/</c> (one part in memory at a time), then is copied to its key and the temporary object deleted. Every request
/// is retried on transient failures (<see cref="S3Retries"/>). Uploads are held against deletion through
/// <see cref="IBlobHolds"/>, which every process sharing the bucket must use alike (PostgreSQL's in distributed mode).
/// </summary>
public sealed class S3ArtifactStore : IArtifactStore, IDisposable
{
    /// <summary>S3's limit for a single-request copy; larger uploads are refused before they start.</summary>
    public const long MaxObjectBytes = 5L << 30;

    private readonly IAmazonS3 _s3;
    private readonly string _bucket;
    private readonly int _partSize;
    private readonly S3Retries _retries;
    private readonly IBlobHolds _holds;
    private readonly string _where;

    public S3ArtifactStore(S3Settings settings, IBlobHolds holds)
    {
        _bucket = settings.Bucket;
        _partSize = Math.Max(settings.PartSizeBytes, 5 << 20); // S3's smallest part but the last
        _retries = new S3Retries(settings);
        _where = settings.Describe();
        _holds = holds;
        _s3 = S3ClientFactory.Create(settings);
    }

    /// <summary>Lists one key: the bucket exists, the credentials are taken and the server answers.</summary>
    public Task CheckAsync(CancellationToken cancellationToken)
        => _retries.RunAsync("list the bucket", token => _s3.ListObjectsV2Async(
            new ListObjectsV2Request { BucketName = _bucket, Prefix = "objects/", MaxKeys = 1 }, token), cancellationToken);

    public Task<HeldBlob> SaveAsync(Stream content, long maxBytes, CancellationToken cancellationToken)
        => HeldBlob.SaveAsync(_holds, hold => SaveAsync(content, maxBytes, hold, cancellationToken), cancellationToken);

    public async Task<StoredBlob> SaveAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var blob = new StoredBlob(Convert.ToHexStringLower(SHA256.HashData(content.Span)), content.Length);
        await PutIfAbsentAsync(blob.Sha256, content, cancellationToken);
        return blob;
    }

    /// <param name="beforeVisible">Runs once the content's hash is known, before the object appears under its key (to hold it).</param>
    private async Task<StoredBlob> SaveAsync(Stream content, long maxBytes, Func<StoredBlob, Task> beforeVisible, CancellationToken cancellationToken)
    {
        maxBytes = Math.Min(maxBytes, MaxObjectBytes);
        var buffer = ArrayPool<byte>.Shared.Rent(_partSize);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            var filled = await FillPartAsync(content, buffer, hash, 0, maxBytes, cancellationToken);
            if (filled < _partSize)
            {
                var blob = new StoredBlob(Convert.ToHexStringLower(hash.GetHashAndReset()), filled);
                await beforeVisible(blob);
                await PutIfAbsentAsync(blob.Sha256, buffer.AsMemory(0, filled), cancellationToken);
                return blob;
            }
            return await UploadInPartsAsync(content, buffer, filled, hash, maxBytes, beforeVisible, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<StoredBlob> UploadInPartsAsync(Stream content, byte[] buffer, int firstPart, IncrementalHash hash, long maxBytes,
        Func<StoredBlob, Task> beforeVisible, CancellationToken cancellationToken)
    {
        var tempKey = $"tmp/{Guid.NewGuid():N}";
        var uploadId = (await _retries.RunAsync("start an upload", token => _s3.InitiateMultipartUploadAsync(
            new InitiateMultipartUploadRequest { BucketName = _bucket, Key = tempKey }, token), cancellationToken)).UploadId;
        var completed = false;
        try
        {
            var parts = new List<PartETag>();
            long size = 0;
            var filled = firstPart;
            while (filled > 0)
            {
                size += filled;
                parts.Add(await UploadPartAsync(tempKey, uploadId, parts.Count + 1, buffer.AsMemory(0, filled), cancellationToken));
                filled = await FillPartAsync(content, buffer, hash, size, maxBytes, cancellationToken);
            }
            await _retries.RunAsync("complete an upload", token => _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _bucket,
                Key = tempKey,
                UploadId = uploadId,
                PartETags = parts,
            }, token), cancellationToken);
            completed = true;

            var blob = new StoredBlob(Convert.ToHexStringLower(hash.GetHashAndReset()), size);
            await beforeVisible(blob);
            if (!await ExistsAsync(blob.Sha256, cancellationToken))
            {
                await _retries.RunAsync("store an upload", token => _s3.CopyObjectAsync(new CopyObjectRequest
                {
                    SourceBucket = _bucket,
                    SourceKey = tempKey,
                    DestinationBucket = _bucket,
                    DestinationKey = KeyOf(blob.Sha256),
                }, token), cancellationToken);
            }
            return blob;
        }
        finally
        {
            // Not cancelled with the request: what it leaves behind goes whatever happened.
            await (completed
                ? TryAsync(token => _s3.DeleteObjectAsync(_bucket, tempKey, token))
                : TryAsync(token => _s3.AbortMultipartUploadAsync(_bucket, tempKey, uploadId, token)));
        }
    }

    private async Task<PartETag> UploadPartAsync(string key, string uploadId, int partNumber, ReadOnlyMemory<byte> part, CancellationToken cancellationToken)
    {
        var response = await _retries.RunAsync($"upload part {partNumber}", async token =>
        {
            using var body = AsStream(part);
            return await _s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = _bucket,
                Key = key,
                UploadId = uploadId,
                PartNumber = partNumber,
                InputStream = body,
                PartSize = part.Length,
                UseChunkEncoding = false,
            }, token);
        }, cancellationToken);
        return new PartETag(partNumber, response.ETag);
    }

    /// <summary>Reads into <paramref name="buffer"/> until it is full or the content ends; returns how much it holds.</summary>
    private async Task<int> FillPartAsync(Stream content, byte[] buffer, IncrementalHash hash, long sizeSoFar, long maxBytes, CancellationToken cancellationToken)
    {
        var filled = 0;
        int read;
        while (filled < _partSize && (read = await content.ReadAsync(buffer.AsMemory(filled, _partSize - filled), cancellationToken)) > 0)
        {
            if (sizeSoFar + filled + read > maxBytes)
            {
                throw new ContentTooLargeException(maxBytes);
            }
            hash.AppendData(buffer, filled, read);
            filled += read;
        }
        return filled;
    }

    private async Task PutIfAbsentAsync(string sha256, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (await ExistsAsync(sha256, cancellationToken))
        {
            return; // same content already stored
        }
        await _retries.RunAsync("store a file", async token =>
        {
            using var body = AsStream(content);
            return await _s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _bucket,
                Key = KeyOf(sha256),
                InputStream = body,
                AutoCloseStream = false,
                UseChunkEncoding = false,
            }, token);
        }, cancellationToken);
    }

    private async Task<bool> ExistsAsync(string sha256, CancellationToken cancellationToken)
    {
        try
        {
            await _retries.RunAsync("look up a file", token => _s3.GetObjectMetadataAsync(_bucket, KeyOf(sha256), token), cancellationToken);
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task<Stream> OpenReadAsync(string sha256, CancellationToken cancellationToken)
    {
        var key = KeyOf(sha256);
        try
        {
            var response = await _retries.RunAsync("read a file", token => _s3.GetObjectAsync(_bucket, key, token), cancellationToken);
            return response.ResponseStream;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            throw Missing(key, ex);
        }
    }

    public async Task<byte[]> ReadAllBytesAsync(string sha256, CancellationToken cancellationToken)
    {
        var key = KeyOf(sha256);
        try
        {
            return await _retries.RunAsync("read a file", async token =>
            {
                using var response = await _s3.GetObjectAsync(_bucket, key, token);
                using var bytes = new MemoryStream(checked((int)response.ContentLength));
                await response.ResponseStream.CopyToAsync(bytes, token);
                return bytes.ToArray();
            }, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            throw Missing(key, ex);
        }
    }

    public async Task DeleteIfUnreferencedAsync(string sha256, Func<CancellationToken, Task<bool>> unreferenced, CancellationToken cancellationToken)
    {
        var key = KeyOf(sha256);
        await _holds.TryAloneAsync(sha256, async alone =>
        {
            if (await unreferenced(alone))
            {
                await _retries.RunAsync("delete a file", token => _s3.DeleteObjectAsync(_bucket, key, token), alone);
            }
        }, cancellationToken);
    }

    public void Dispose() => _s3.Dispose();

    private ArtifactMissingException Missing(string key, Exception inner) => new($"The {_where} has no object {key}.", key,
        "The Api and every worker must use the same bucket: give them all the same Artifacts__S3__ settings.", inner);

    private static async Task TryAsync(Func<CancellationToken, Task> cleanup)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await cleanup(timeout.Token);
        }
        catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException || S3Retries.IsTransient(ex))
        {
            // The store is away: the temporary object stays under tmp/, where nothing reads it (see README).
        }
    }

    private static MemoryStream AsStream(ReadOnlyMemory<byte> content)
        => System.Runtime.InteropServices.MemoryMarshal.TryGetArray(content, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);

    private static string KeyOf(string sha256) => $"objects/{ContentAddress.Check(sha256)[..2]}/{sha256}";
}
