using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace Shears.Domain.Persistence;

/// <summary>The AWS SDK's S3 client for <see cref="S3Settings"/>.</summary>
public static class S3ClientFactory
{
    public static IAmazonS3 Create(S3Settings settings)
    {
        var region = settings.Region ?? "us-east-1";
        var config = new AmazonS3Config
        {
            ForcePathStyle = settings.ForcePathStyle,
            // S3Retries retries, with backoff that the job's timing can see; the SDK does not retry on its own.
            MaxErrorRetry = 0,
            // Checksums only where S3 requires them: self-hosted servers do not all understand trailing checksums.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (settings.ServiceUrl is { } url)
        {
            config.ServiceURL = url;
            config.AuthenticationRegion = region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
        return settings.AccessKey is { } accessKey && settings.SecretKey is { } secretKey
            ? new AmazonS3Client(new BasicAWSCredentials(accessKey, secretKey), config)
            : new AmazonS3Client(config); // the SDK's chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, instance roles
    }
}
