namespace Shears.Domain.Persistence;

/// <summary>
/// Where the S3-compatible artifact store is: <c>Artifacts:S3:ServiceUrl</c> (a self-hosted server; absent: AWS itself, by
/// <c>Region</c>), <c>Bucket</c>, <c>Region</c> [us-east-1], <c>AccessKey</c>/<c>SecretKey</c> (absent: the AWS SDK's own
/// chain, e.g. <c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>), <c>ForcePathStyle</c> [true: <c>host/bucket/key</c>,
/// what self-hosted servers expect], <c>PartSizeMiB</c> [8: uploads go up in parts of this size, one part in memory at a
/// time] and <c>Retries</c> [4: further tries of a request that failed for a transient reason, with exponential backoff].
/// </summary>
public sealed record S3Settings(string Bucket, string? ServiceUrl = null, string? Region = null, string? AccessKey = null,
    string? SecretKey = null, bool ForcePathStyle = true, int PartSizeMiB = 8, int Retries = 4)
{
    public int PartSizeBytes => PartSizeMiB << 20;

    /// <summary>Where the store is, for messages (never the credentials).</summary>
    public string Describe() => $"bucket '{Bucket}' at {ServiceUrl ?? $"AWS S3 ({Region ?? "us-east-1"})"}";
}
